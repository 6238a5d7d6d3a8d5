// SQL for notification preferences (a row only for users who changed something).
import type { Sql } from '@microbazaar/kit';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.js';

interface Row {
  email: boolean;
  sms: boolean;
  inApp: boolean;
  phone: string | null;
  phoneVerified: boolean;
  updatedAt: Date;
}

const present = (r: Row): Preferences => ({
  email: r.email,
  sms: r.sms,
  inApp: r.inApp,
  phone: r.phone,
  phoneVerified: r.phoneVerified,
  updatedAt: new Date(r.updatedAt).toISOString(),
});

const COLUMNS =
  'email, sms, in_app AS "inApp", phone, phone_verified_at IS NOT NULL AS "phoneVerified", updated_at AS "updatedAt"';

export function preferenceStore(sql: Sql) {
  return {
    /** The user's preferences, or the defaults. */
    async get(userId: string): Promise<Preferences> {
      const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM preferences WHERE user_id = $1`, [userId]);
      return rows[0] ? present(rows[0]) : { ...DEFAULT_PREFERENCES };
    },

    /**
     * Read under a row lock, so two concurrent changes apply one after the other. A first change has no row to
     * lock yet: the defaults are inserted first (a concurrent insert waits for this one), then locked.
     */
    async getForUpdate(userId: string): Promise<Preferences> {
      const d = DEFAULT_PREFERENCES;
      await sql.query(
        `INSERT INTO preferences (user_id, email, sms, in_app, phone) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO NOTHING`,
        [userId, d.email, d.sms, d.inApp, d.phone],
      );
      const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM preferences WHERE user_id = $1 FOR UPDATE`, [userId]);
      return present(rows[0] as Row);
    },

    /** Writes a change; the number stays verified only while it stays the same number. */
    async put(userId: string, p: Omit<Preferences, 'updatedAt' | 'phoneVerified'>): Promise<Preferences> {
      const rows = await sql.query<Row>(
        `INSERT INTO preferences (user_id, email, sms, in_app, phone) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, sms = EXCLUDED.sms, in_app = EXCLUDED.in_app,
           phone = EXCLUDED.phone, updated_at = now(),
           phone_verified_at = CASE WHEN preferences.phone IS NOT DISTINCT FROM EXCLUDED.phone
                                    THEN preferences.phone_verified_at END
         RETURNING ${COLUMNS}`,
        [userId, p.email, p.sms, p.inApp, p.phone],
      );
      return present(rows[0] as Row);
    },

    /** The number the user proved is theirs (a one-time code); false when it has changed since. */
    async markPhoneVerified(userId: string, phone: string): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE preferences SET phone_verified_at = now(), updated_at = now()
         WHERE user_id = $1 AND phone = $2 RETURNING user_id`,
        [userId, phone],
      );
      return rows.length > 0;
    },
  };
}
