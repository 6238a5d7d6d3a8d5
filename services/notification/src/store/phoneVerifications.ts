// One pending phone verification per user: the number the code went to, a hash of the code, tries left.
import type { Sql } from '@microbazaar/kit';

export interface PendingVerification {
  phone: string;
  codeHash: string;
  attempts: number;
  expiresAt: Date;
}

export function phoneVerificationStore(sql: Sql) {
  return {
    /** A new code replaces the previous one (and its count of wrong tries). */
    async put(userId: string, v: { phone: string; codeHash: string; expiresAt: Date }): Promise<void> {
      await sql.query(
        `INSERT INTO phone_verifications (user_id, phone, code_hash, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE SET phone = EXCLUDED.phone, code_hash = EXCLUDED.code_hash,
           expires_at = EXCLUDED.expires_at, attempts = 0, created_at = now()`,
        [userId, v.phone, v.codeHash, v.expiresAt],
      );
    },

    async getForUpdate(userId: string): Promise<PendingVerification | null> {
      const rows = await sql.query<PendingVerification>(
        `SELECT phone, code_hash AS "codeHash", attempts, expires_at AS "expiresAt"
           FROM phone_verifications WHERE user_id = $1 FOR UPDATE`,
        [userId],
      );
      return rows[0] ?? null;
    },

    async countFailure(userId: string): Promise<void> {
      await sql.query('UPDATE phone_verifications SET attempts = attempts + 1 WHERE user_id = $1', [userId]);
    },

    async remove(userId: string): Promise<void> {
      await sql.query('DELETE FROM phone_verifications WHERE user_id = $1', [userId]);
    },
  };
}
