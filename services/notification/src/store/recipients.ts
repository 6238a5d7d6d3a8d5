// The recipients read model: a user's email and name, from user.* events and from their access tokens.
import type { Sql } from '@microbazaar/kit';
import type { Recipient } from '../domain/notices.js';

export function recipientStore(sql: Sql) {
  return {
    /** From a user event: the event is the authority on both fields. */
    async upsert(r: { userId: string; email: string; name: string }): Promise<Recipient> {
      const rows = await sql.query<{ userId: string; email: string | null; name: string | null }>(
        `INSERT INTO recipients (user_id, email, name) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, updated_at = now()
         RETURNING user_id AS "userId", email, name`,
        [r.userId, r.email, r.name],
      );
      return rows[0] as Recipient;
    },

    /** From an access token (users who registered before this service existed): email only, no write when unchanged. */
    async learnEmail(userId: string, email: string): Promise<void> {
      await sql.query(
        `INSERT INTO recipients (user_id, email) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()
         WHERE recipients.email IS DISTINCT FROM EXCLUDED.email`,
        [userId, email],
      );
    },
  };
}
