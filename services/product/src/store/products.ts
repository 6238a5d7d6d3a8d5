// SQL for products and categories-on-first-use; every read returns the product whole (stock and images included).
import { isUuid, type Sql } from '@microbazaar/kit';
import type { Attributes, ProductRecord, ProductStatus } from '../domain/products.js';

/** The columns of a whole product: one round trip for the row, its available stock and its images. */
export const PRODUCT_COLUMNS = `p.id, p.seq, p.seller_id AS "sellerId", p.slug, p.name, p.description,
  p.price_amount AS "priceAmount", p.currency, p.category, p.attributes, p.status,
  p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  COALESCE(s.on_hand - s.reserved, 0) AS available, p.images`;

export const PRODUCT_FROM = 'products p LEFT JOIN stock s ON s.product_id = p.id';

/** Drivers differ on bigint and json: numbers and objects on the way out, whatever came in. */
export function normaliseProductRow(row: ProductRecord): ProductRecord {
  row.seq = Number(row.seq);
  row.priceAmount = Number(row.priceAmount);
  row.available = Number(row.available);
  if (typeof row.images === 'string') row.images = JSON.parse(row.images);
  if (typeof row.attributes === 'string') row.attributes = JSON.parse(row.attributes);
  return row;
}

export interface NewProduct {
  id: string;
  sellerId: string;
  slug: string;
  name: string;
  description: string;
  priceAmount: number;
  currency: string;
  category: string | null;
  attributes: Attributes;
}

export interface ProductChange {
  name?: string | undefined;
  description?: string | undefined;
  priceAmount?: number | undefined;
  currency?: string | undefined;
  category?: string | null | undefined;
  attributes?: Attributes | undefined;
  status?: ProductStatus | undefined;
}

const CHANGE_COLUMNS: Record<keyof ProductChange, string> = {
  name: 'name',
  description: 'description',
  priceAmount: 'price_amount',
  currency: 'currency',
  category: 'category',
  attributes: 'attributes',
  status: 'status',
};

export function productStore(sql: Sql) {
  const one = async (where: string, params: unknown[]): Promise<ProductRecord | null> => {
    const rows = await sql.query<ProductRecord>(
      `SELECT ${PRODUCT_COLUMNS} FROM ${PRODUCT_FROM} WHERE ${where}`,
      params,
    );
    return rows[0] ? normaliseProductRow(rows[0]) : null;
  };

  return {
    /** By id or by slug; archived products too (their orders still show them). */
    byRef(ref: string): Promise<ProductRecord | null> {
      return isUuid(ref) ? one('p.id = $1', [ref]) : one('p.slug = $1', [ref]);
    },

    byId(id: string): Promise<ProductRecord | null> {
      return one('p.id = $1', [id]);
    },

    /** In the order of `ids`; missing ids are left out. */
    async byIds(ids: readonly string[]): Promise<ProductRecord[]> {
      if (ids.length === 0) return [];
      const rows = await sql.query<ProductRecord>(
        `SELECT ${PRODUCT_COLUMNS} FROM ${PRODUCT_FROM} WHERE p.id = ANY($1::uuid[])`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, normaliseProductRow(r)]));
      return ids.map((id) => byId.get(id)).filter((r): r is ProductRecord => r !== undefined);
    },

    /** A seller's archived products, newest first: ids and seq after `beforeSeq`, and how many there are. */
    async archivedOf(sellerId: string, limit: number, beforeSeq: number | undefined) {
      const rows = await sql.query<{ id: string; seq: number }>(
        `SELECT id, seq FROM products WHERE seller_id = $1 AND status = 'archived'
            AND ($2::bigint IS NULL OR seq < $2::bigint)
          ORDER BY seq DESC LIMIT $3`,
        [sellerId, beforeSeq ?? null, limit],
      );
      const [count] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM products WHERE seller_id = $1 AND status = 'archived'`,
        [sellerId],
      );
      return { rows: rows.map((r) => ({ id: r.id, seq: Number(r.seq) })), total: Number(count?.n ?? 0) };
    },

    /** Locks the row for a change; null when there is no such product. */
    async lock(ref: string): Promise<{ id: string; sellerId: string; status: ProductStatus } | null> {
      const rows = await sql.query<{ id: string; sellerId: string; status: ProductStatus }>(
        `SELECT id, seller_id AS "sellerId", status FROM products WHERE ${isUuid(ref) ? 'id' : 'slug'} = $1 FOR UPDATE`,
        [ref],
      );
      return rows[0] ?? null;
    },

    /** false when the slug is taken (the caller picks another). */
    async insert(p: NewProduct): Promise<boolean> {
      const rows = await sql.query(
        `INSERT INTO products (id, seller_id, slug, name, description, price_amount, currency, category, attributes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb)
         ON CONFLICT (slug) DO NOTHING RETURNING id`,
        [
          p.id,
          p.sellerId,
          p.slug,
          p.name,
          p.description,
          p.priceAmount,
          p.currency,
          p.category,
          JSON.stringify(p.attributes),
        ],
      );
      return rows.length === 1;
    },

    /** Applies the given fields; returns the names of the columns that really changed. */
    async update(id: string, change: ProductChange): Promise<string[]> {
      const sets: string[] = [];
      const params: unknown[] = [id];
      const names: string[] = [];
      for (const [field, column] of Object.entries(CHANGE_COLUMNS) as [keyof ProductChange, string][]) {
        const value = change[field];
        if (value === undefined) continue;
        params.push(field === 'attributes' ? JSON.stringify(value) : value);
        const param = field === 'attributes' ? `$${params.length}::text::jsonb` : `$${params.length}`;
        sets.push(`${column} = ${param}`);
        names.push(`${column} IS DISTINCT FROM ${param} AS "${field}"`);
      }
      if (sets.length === 0) return [];
      // compare before writing, so an update that changes nothing bumps nothing and announces nothing
      const [before] = await sql.query<Record<string, boolean>>(
        `SELECT ${names.join(', ')} FROM products WHERE id = $1`,
        params,
      );
      const changed = Object.entries(before ?? {})
        .filter(([, differs]) => differs)
        .map(([field]) => (field === 'priceAmount' ? 'price' : field));
      if (changed.length === 0) return [];
      const archive =
        change.status === 'archived'
          ? ', archived_at = COALESCE(archived_at, now())'
          : change.status === 'active'
            ? ', archived_at = NULL'
            : '';
      await sql.query(`UPDATE products SET ${sets.join(', ')}${archive}, updated_at = now() WHERE id = $1`, params);
      return [...new Set(changed)];
    },

    /** Creates each category slug not seen before, named after the slug. */
    async ensureCategory(slug: string, name: string): Promise<void> {
      await sql.query('INSERT INTO categories (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING', [
        slug,
        name,
      ]);
    },
  };
}

/**
 * Tells every instance (this one included) that the catalog changed, so cached search results
 * are dropped. Inside the writing transaction: PostgreSQL delivers it only on commit.
 */
export async function announceCatalogChange(tx: Sql): Promise<void> {
  await tx.query(`SELECT pg_notify('catalog_' || current_schema(), '')`);
}
