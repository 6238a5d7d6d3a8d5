// SQL of the catalog read model: products with their vectors (real[]), categories, and the change feed.
import type { Sql } from '@microbazaar/kit';
import type { AttributeValue, CatalogItem, CategoryInfo } from '../domain/catalog.js';

export interface IndexedProduct {
  item: CatalogItem;
  contentHash: string;
  model: string;
  vector: Float32Array;
}

/** What an event says about a product without a fetch: price, stock, status (and names). */
export interface ProductSnapshot {
  name?: string | undefined;
  slug?: string | undefined;
  category?: string | null | undefined;
  price?: { amount: number; currency: string } | undefined;
  stock?: number | undefined;
  status?: string | undefined;
}

interface ProductRowDb {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string | null;
  attributes: Record<string, AttributeValue> | string;
  price_amount: number | string;
  currency: string;
  stock: number;
  status: string;
  seller_id: string;
  image: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  content_hash: string;
  model: string;
  vector: string;
}

const COLUMNS = `id, slug, name, description, category, attributes, price_amount, currency, stock, status,
  seller_id, image, created_at, updated_at, content_hash, model, vector::text AS vector`;

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/** `{0.1,-0.2,...}` (PostgreSQL array text) → Float32Array */
export function parseVector(text: string): Float32Array {
  const inner = text.slice(1, -1);
  if (!inner) return new Float32Array(0);
  const parts = inner.split(',');
  const out = new Float32Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
}

/** Float32Array → PostgreSQL array text, 7 significant digits (all a float4 holds). */
export function vectorText(v: Float32Array): string {
  let s = '{';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (v[i] as number).toPrecision(7);
  return `${s}}`;
}

function fromRow(r: ProductRowDb): IndexedProduct {
  return {
    item: {
      id: r.id,
      slug: r.slug,
      name: r.name,
      description: r.description,
      category: r.category,
      attributes: typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes,
      price: { amount: Number(r.price_amount), currency: r.currency },
      stock: r.stock,
      status: r.status,
      sellerId: r.seller_id,
      image: r.image ?? undefined,
      createdAt: iso(r.created_at),
      updatedAt: iso(r.updated_at),
    },
    contentHash: r.content_hash,
    model: r.model,
    vector: parseVector(r.vector),
  };
}

const CONTENT = [
  'slug',
  'name',
  'description',
  'category',
  'attributes',
  'seller_id',
  'image',
  'created_at',
  'updated_at',
  'content_hash',
  'model',
  'vector',
];
const SNAPSHOT = ['price_amount', 'currency', 'stock', 'status'];

const newer = (clock: 'content_at' | 'snapshot_at', cols: string[]) =>
  cols.map((c) => `${c} = CASE WHEN products.${clock} <= excluded.${clock} THEN excluded.${c} ELSE products.${c} END`);

export function catalogStore(sql: Sql) {
  return {
    /**
     * Writes products read from the product service at `readAt`: each column group only over an
     * older one (an event newer than the read keeps its price, stock and status).
     */
    async upsert(rows: readonly IndexedProduct[], readAt: Date): Promise<void> {
      if (rows.length === 0) return;
      const payload = rows.map(({ item, contentHash, model, vector }) => ({
        id: item.id,
        slug: item.slug,
        name: item.name,
        description: item.description,
        category: item.category,
        attributes: item.attributes,
        price_amount: item.price.amount,
        currency: item.price.currency,
        stock: item.stock,
        status: item.status,
        seller_id: item.sellerId,
        image: item.image ?? null,
        created_at: item.createdAt,
        updated_at: item.updatedAt,
        content_hash: contentHash,
        model,
        vector: vectorText(vector),
      }));
      await sql.query(
        `INSERT INTO products (id, slug, name, description, category, attributes, price_amount, currency, stock, status,
           seller_id, image, created_at, updated_at, content_hash, model, vector, content_at, snapshot_at)
         SELECT r.id, r.slug, r.name, r.description, r.category, r.attributes, r.price_amount, r.currency, r.stock, r.status,
           r.seller_id, r.image, r.created_at, r.updated_at, r.content_hash, r.model, r.vector::real[], $2::timestamptz, $2::timestamptz
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, slug text, name text, description text, category text,
           attributes jsonb, price_amount bigint, currency text, stock integer, status text, seller_id uuid, image text,
           created_at timestamptz, updated_at timestamptz, content_hash text, model text, vector text)
         ON CONFLICT (id) DO UPDATE SET
           ${[...newer('content_at', CONTENT), ...newer('snapshot_at', SNAPSHOT)].join(',\n           ')},
           content_at = GREATEST(products.content_at, excluded.content_at),
           snapshot_at = GREATEST(products.snapshot_at, excluded.snapshot_at),
           changed_xid = pg_current_xact_id()`,
        [JSON.stringify(payload), readAt.toISOString()],
      );
    },

    /** Applies an event's snapshot if it is newer than what the row has; false when unknown or older. */
    async applySnapshot(id: string, snap: ProductSnapshot, at: string): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE products SET
           name = COALESCE($3, name), slug = COALESCE($4, slug),
           category = CASE WHEN $5::boolean THEN $6 ELSE category END,
           price_amount = COALESCE($7, price_amount), currency = COALESCE($8, currency),
           stock = COALESCE($9, stock), status = COALESCE($10, status),
           snapshot_at = $2, changed_xid = pg_current_xact_id()
         WHERE id = $1 AND snapshot_at < $2 RETURNING id`,
        [
          id,
          at,
          snap.name ?? null,
          snap.slug ?? null,
          snap.category !== undefined,
          snap.category ?? null,
          snap.price?.amount ?? null,
          snap.price?.currency ?? null,
          snap.stock ?? null,
          snap.status ?? null,
        ],
      );
      return rows.length > 0;
    },

    /** Vectors already computed for these texts (by content hash) with this model. */
    async vectorsFor(model: string, hashes: readonly string[]): Promise<Map<string, Float32Array>> {
      const found = new Map<string, Float32Array>();
      if (hashes.length === 0) return found;
      const rows = await sql.query<{ content_hash: string; vector: string }>(
        `SELECT DISTINCT ON (content_hash) content_hash, vector::text AS vector FROM products
         WHERE model = $1 AND content_hash = ANY($2::text[])`,
        [model, `{${hashes.map((h) => `"${h}"`).join(',')}}`],
      );
      for (const r of rows) found.set(r.content_hash, parseVector(r.vector));
      return found;
    },

    /** A page of every product by id, and the transaction horizon at the first page (see changesSince). */
    async page(afterId: string | null, limit: number): Promise<{ rows: IndexedProduct[]; horizon: string }> {
      const rows = await sql.query<ProductRowDb & { horizon: string }>(
        `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon)
         SELECT h.horizon, p.* FROM h LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM products WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2
         ) p ON true`,
        [afterId, limit],
      );
      return { horizon: rows[0]?.horizon ?? '0', rows: rows.filter((r) => r.id).map(fromRow) };
    },

    /**
     * Products written by transactions from `cursor` on, and the next cursor: the oldest transaction
     * still running when this read started. A transaction that commits later has an id at or above
     * it, so nothing is missed; rows seen twice are applied twice, harmlessly.
     */
    async changesSince(cursor: string): Promise<{ rows: IndexedProduct[]; horizon: string }> {
      const rows = await sql.query<ProductRowDb & { horizon: string }>(
        `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon)
         SELECT h.horizon, p.* FROM h LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM products WHERE changed_xid >= $1::xid8
         ) p ON true`,
        [cursor],
      );
      return { horizon: rows[0]?.horizon ?? cursor, rows: rows.filter((r) => r.id).map(fromRow) };
    },

    async categories(): Promise<CategoryInfo[]> {
      return sql.query<CategoryInfo>('SELECT slug, name, description FROM categories ORDER BY slug');
    },

    async upsertCategories(list: readonly CategoryInfo[]): Promise<void> {
      if (list.length === 0) return;
      await sql.query(
        `INSERT INTO categories (slug, name, description)
         SELECT r.slug, r.name, COALESCE(r.description, '') FROM jsonb_to_recordset($1::jsonb) AS r(slug text, name text, description text)
         ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description,
           changed_xid = pg_current_xact_id()
         WHERE (categories.name, categories.description) IS DISTINCT FROM (excluded.name, excluded.description)`,
        [JSON.stringify(list)],
      );
    },

    async count(): Promise<number> {
      const [row] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
      return Number(row?.n ?? 0);
    },
  };
}

export type CatalogStore = ReturnType<typeof catalogStore>;

/** The NOTIFY channel every instance listens on to refresh its in-memory index (and wake its indexer). */
export function catalogChannel(schema: string): string {
  return `${schema}_catalog`;
}

/** Announces a change; PostgreSQL delivers it when the transaction commits, to every instance. */
export async function announceChange(sql: Sql, channel: string, what: 'products' | 'reindex'): Promise<void> {
  await sql.query('SELECT pg_notify($1, $2)', [channel, what]);
}
