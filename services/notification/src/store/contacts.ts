// Who a notice goes to and how, in one round trip: the recipients read model and the preferences of a user.
import type { Sql } from '@microbazaar/kit';
import type { Recipient } from '../domain/notices.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.js';

interface Row {
  email: string | null;
  name: string | null;
  known: boolean;
  prefEmail: boolean | null;
  sms: boolean | null;
  inApp: boolean | null;
  phone: string | null;
  phoneVerified: boolean | null;
  updatedAt: Date | null;
}

export function contactStore(sql: Sql) {
  return {
    async get(userId: string): Promise<{ recipient: Recipient | null; prefs: Preferences }> {
      const rows = await sql.query<Row>(
        `SELECT r.email, r.name, r.user_id IS NOT NULL AS known, p.email AS "prefEmail", p.sms, p.in_app AS "inApp",
                p.phone, p.phone_verified_at IS NOT NULL AS "phoneVerified", p.updated_at AS "updatedAt"
           FROM (SELECT $1::uuid AS user_id) u
           LEFT JOIN recipients r ON r.user_id = u.user_id
           LEFT JOIN preferences p ON p.user_id = u.user_id`,
        [userId],
      );
      const row = rows[0] as Row;
      return {
        recipient: row.known ? { userId, email: row.email, name: row.name } : null,
        prefs:
          row.updatedAt === null
            ? { ...DEFAULT_PREFERENCES }
            : {
                email: row.prefEmail as boolean,
                sms: row.sms as boolean,
                inApp: row.inApp as boolean,
                phone: row.phone,
                phoneVerified: row.phoneVerified === true,
                updatedAt: new Date(row.updatedAt).toISOString(),
              },
      };
    },
  };
}
