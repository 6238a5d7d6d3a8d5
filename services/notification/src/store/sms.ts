// The daily SMS caps: a user's SMS, and the verification codes sent to one number, over the last 24 hours.
import type { Sql } from '@microbazaar/kit';

export const PHONE_VERIFICATION = 'phone.verification';

interface Window {
  count: number;
  /** when the oldest counted SMS leaves the window (null when none is counted) */
  freesAt: Date | null;
}

export function smsStore(sql: Sql) {
  const window = async (where: string, value: string): Promise<Window> => {
    const rows = await sql.query<Window>(
      `SELECT count(*)::int AS count, min(created_at) + interval '1 day' AS "freesAt"
         FROM deliveries WHERE channel = 'sms' AND ${where} AND created_at > now() - interval '1 day'`,
      [value],
    );
    return rows[0] as Window;
  };
  return {
    /**
     * Holds the user's preferences row until the transaction ends, so two transactions deciding an SMS for the
     * same user count one after the other (the row exists whenever a number is set).
     */
    async lockUser(userId: string): Promise<void> {
      await sql.query('SELECT 1 FROM preferences WHERE user_id = $1 FOR UPDATE', [userId]);
    },
    /** SMS queued for the user in the last 24 hours, codes included. */
    sentToUser: (userId: string) => window('user_id = $1', userId),
    /** Verification codes queued for the number in the last 24 hours, whoever asked. */
    codesToNumber: (phone: string) => window(`event_type = '${PHONE_VERIFICATION}' AND recipient = $1`, phone),
  };
}
