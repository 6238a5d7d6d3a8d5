// SQL for the users table.
import type { Role, Sql } from '@microbazaar/kit';
import type { UserRecord } from '../domain/users.js';

const COLUMNS = `id, email, name, password_hash AS "passwordHash", role, disabled_at AS "disabledAt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

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

    async update(
      id: string,
      change: { role?: Role | undefined; disabled?: boolean | undefined },
    ): Promise<UserRecord | null> {
      const rows = await sql.query<UserRecord>(
        `UPDATE users SET
           role = COALESCE($2, role),
           disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                              WHEN $3::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END,
           updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, change.role ?? null, change.disabled ?? null],
      );
      return rows[0] ?? null;
    },

    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await sql.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
    },
  };
}
