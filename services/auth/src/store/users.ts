// SQL for the users table.
import type { Revocation, Role, Sql } from '@microbazaar/kit';
import type { UserRecord } from '../domain/users.js';

const COLUMNS = `id, email, name, password_hash AS "passwordHash", role, disabled_at AS "disabledAt",
  token_version AS "tokenVersion", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Revocations older than the longest access-token lifetime (ACCESS_TOKEN_TTL_SECONDS ≤ 3600) cannot matter. */
export const REVOCATION_WINDOW_SECONDS = 3600 + 120;
/** An incremental read starts this much before the previous one, so a change committed late is not skipped. */
const REVOCATION_OVERLAP_SECONDS = 30;

export interface UserPageQuery {
  limit: number;
  /** id of the last user of the previous page (its exact created_at is read back, no rounding) */
  afterId?: string | undefined;
  role?: Role | undefined;
  q?: string | undefined;
}

export function userStore(sql: Sql) {
  return {
    async insert(u: { email: string; name: string; passwordHash: string; role: Role }): Promise<UserRecord | null> {
      const rows = await sql.query<UserRecord>(
        `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING ${COLUMNS}`,
        [u.email, u.name, u.passwordHash, u.role],
      );
      return rows[0] ?? null;
    },

    async byEmail(email: string): Promise<UserRecord | null> {
      const rows = await sql.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
      return rows[0] ?? null;
    },

    async byId(id: string): Promise<UserRecord | null> {
      const rows = await sql.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },

    async page(q: UserPageQuery): Promise<UserRecord[]> {
      const params: unknown[] = [q.limit + 1];
      const where: string[] = [];
      if (q.afterId) {
        params.push(q.afterId);
        where.push(`(created_at, id) < (SELECT created_at, id FROM users WHERE id = $${params.length})`);
      }
      if (q.role) {
        params.push(q.role);
        where.push(`role = $${params.length}`);
      }
      if (q.q) {
        params.push(`%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where.push(`(email ILIKE $${params.length} OR name ILIKE $${params.length})`);
      }
      return sql.query<UserRecord>(
        `SELECT ${COLUMNS} FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT $1`,
        params,
      );
    },

    /** A new role or disabling revokes the user's access tokens (the SET expressions see the old row). */
    async update(
      id: string,
      change: { role?: Role | undefined; disabled?: boolean | undefined },
    ): Promise<UserRecord | null> {
      const revokes = '(($2::text IS NOT NULL AND $2::text <> role) OR ($3::boolean AND disabled_at IS NULL))';
      const rows = await sql.query<UserRecord>(
        `UPDATE users SET
           role = COALESCE($2, role),
           disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                              WHEN $3::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END,
           token_version = token_version + CASE WHEN ${revokes} THEN 1 ELSE 0 END,
           tokens_revoked_at = CASE WHEN ${revokes} THEN clock_timestamp() ELSE tokens_revoked_at END,
           updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, change.role ?? null, change.disabled ?? null],
      );
      return rows[0] ?? null;
    },

    /** A new password revokes every access token issued before it. */
    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await sql.query(
        `UPDATE users SET password_hash = $2, token_version = token_version + 1,
           tokens_revoked_at = clock_timestamp(), updated_at = now() WHERE id = $1`,
        [id, passwordHash],
      );
    },

    /**
     * The revocation feed: without a cursor every revocation of the window, with one those since it.
     * The next cursor starts a little before now, so a revocation committed late is read next time.
     */
    async revocations(cursor: string | undefined): Promise<{ cursor: string; revocations: Revocation[] }> {
      // one round trip: the bounds row always comes back, joined to the users revoked since
      const rows = await sql.query<{ cursor: Date; userId: string | null; version: number | null }>(
        `WITH bounds AS (
           SELECT now() - make_interval(secs => $1) AS cursor,
                  GREATEST(COALESCE($2::timestamptz, '-infinity'), now() - make_interval(secs => $3)) AS since)
         SELECT b.cursor, u.id AS "userId", u.token_version AS version
         FROM bounds b LEFT JOIN users u ON u.tokens_revoked_at > b.since`,
        [REVOCATION_OVERLAP_SECONDS, cursor ?? null, REVOCATION_WINDOW_SECONDS],
      );
      const revocations: Revocation[] = [];
      for (const r of rows)
        if (r.userId !== null && r.version !== null) revocations.push({ userId: r.userId, version: r.version });
      return { cursor: rows[0]!.cursor.toISOString(), revocations };
    },
  };
}
