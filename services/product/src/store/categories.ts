// SQL for categories.
import { isUuid, type Sql } from '@microbazaar/kit';
import type { Picture } from '../domain/products.js';

export interface CategoryRow {
  id: string;
  slug: string;
  name: string;
  description: string;
  image: Picture | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, slug, name, description, image, created_at AS "createdAt", updated_at AS "updatedAt"`;

export function categoryStore(sql: Sql) {
  return {
    /** Alphabetical by slug, after `afterSlug`. */
    page(limit: number, afterSlug?: string): Promise<CategoryRow[]> {
      return afterSlug
        ? sql.query<CategoryRow>(
            `SELECT ${COLUMNS} FROM categories WHERE slug COLLATE "C" > $2 ORDER BY slug COLLATE "C" LIMIT $1`,
            [limit, afterSlug],
          )
        : sql.query<CategoryRow>(`SELECT ${COLUMNS} FROM categories ORDER BY slug COLLATE "C" LIMIT $1`, [limit]);
    },

    async byRef(ref: string): Promise<CategoryRow | null> {
      const rows = await sql.query<CategoryRow>(
        `SELECT ${COLUMNS} FROM categories WHERE ${isUuid(ref) ? 'id' : 'slug'} = $1`,
        [ref],
      );
      return rows[0] ?? null;
    },

    /** null when the slug is taken. */
    async insert(c: { slug: string; name: string; description: string }): Promise<CategoryRow | null> {
      const rows = await sql.query<CategoryRow>(
        `INSERT INTO categories (slug, name, description) VALUES ($1, $2, $3)
         ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`,
        [c.slug, c.name, c.description],
      );
      return rows[0] ?? null;
    },

    async update(
      ref: string,
      change: { slug?: string | undefined; name?: string | undefined; description?: string | undefined },
    ): Promise<CategoryRow | null> {
      const rows = await sql.query<CategoryRow>(
        `UPDATE categories SET slug = COALESCE($2, slug), name = COALESCE($3, name),
           description = COALESCE($4, description), updated_at = now()
         WHERE ${isUuid(ref) ? 'id' : 'slug'} = $1 RETURNING ${COLUMNS}`,
        [ref, change.slug ?? null, change.name ?? null, change.description ?? null],
      );
      return rows[0] ?? null;
    },

    async productCount(slug: string): Promise<number> {
      const [row] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM products WHERE category = $1', [
        slug,
      ]);
      return Number(row?.n ?? 0);
    },

    async delete(ref: string): Promise<boolean> {
      const rows = await sql.query(`DELETE FROM categories WHERE ${isUuid(ref) ? 'id' : 'slug'} = $1 RETURNING id`, [
        ref,
      ]);
      return rows.length === 1;
    },
  };
}
