// SQL for refresh-token families and password-reset tokens (both stored as SHA-256 hashes).
import type { Sql } from '@microbazaar/kit';

export interface RefreshTokenRow {
  id: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export function refreshTokenStore(sql: Sql) {
  return {
    async insert(t: { familyId: string; userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
      await sql.query(
        'INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)',
        [t.familyId, t.userId, t.tokenHash, t.expiresAt],
      );
    },

    /** Locks the row so two concurrent uses of one token are serialised (the second one sees usedAt). */
    async lockByHash(tokenHash: string): Promise<RefreshTokenRow | null> {
      const rows = await sql.query<RefreshTokenRow>(
        `SELECT id, family_id AS "familyId", user_id AS "userId", expires_at AS "expiresAt",
                used_at AS "usedAt", revoked_at AS "revokedAt"
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [tokenHash],
      );
      return rows[0] ?? null;
    },

    async markUsed(id: string): Promise<void> {
      await sql.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [id]);
    },

    async revokeFamily(familyId: string): Promise<number> {
      const rows = await sql.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL RETURNING id',
        [familyId],
      );
      return rows.length;
    },

    async revokeAllForUser(userId: string): Promise<number> {
      const rows = await sql.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
        [userId],
      );
      return rows.length;
    },

    /** Housekeeping: forget tokens that expired long ago. */
    async deleteExpired(olderThan: Date): Promise<void> {
      await sql.query('DELETE FROM refresh_tokens WHERE expires_at < $1', [olderThan]);
    },
  };
}

export function passwordResetStore(sql: Sql) {
  return {
    async insert(r: { userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
      await sql.query('INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3)', [
        r.userId,
        r.tokenHash,
        r.expiresAt,
      ]);
    },

    /** Consumes a live token: returns its user id once, null if unknown, used or expired. */
    async consume(tokenHash: string): Promise<string | null> {
      const rows = await sql.query<{ userId: string }>(
        `UPDATE password_resets SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id AS "userId"`,
        [tokenHash],
      );
      return rows[0]?.userId ?? null;
    },

    async invalidateAllForUser(userId: string): Promise<void> {
      await sql.query('UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
    },
  };
}
