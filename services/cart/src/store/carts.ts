// The record of carts in the cart service's schema: a cart is one row, read and written whole, and every
// change takes a new version (the cache keeps a copy only until a newer version replaces it).
import type { Sql } from '@microbazaar/kit';
import type { CartRecord, StoredLine } from '../domain/cart.js';

interface CartRow {
  id: string;
  version: number | string;
  active_ms: number | string;
  lines: StoredLine[] | string;
}

const COLUMNS = `id, version, (extract(epoch FROM active_at) * 1000)::float8 AS active_ms, lines`;

function toRecord(row: CartRow): CartRecord {
  const lines = typeof row.lines === 'string' ? (JSON.parse(row.lines) as StoredLine[]) : row.lines;
  return { id: row.id, version: Number(row.version), activeAt: Math.round(Number(row.active_ms)), lines };
}

const json = (lines: readonly StoredLine[]) =>
  JSON.stringify(lines.map((l) => ({ productId: l.productId, quantity: l.quantity, addedAt: l.addedAt })));

/** Carts on a pool or in a transaction. `now` is the caller's clock in ms (the same the cache's copies carry). */
export function cartRecords(sql: Sql) {
  return {
    async find(id: string): Promise<CartRecord | undefined> {
      const [row] = await sql.query<CartRow>(`SELECT ${COLUMNS} FROM carts WHERE id = $1`, [id]);
      return row && toRecord(row);
    },

    /** Locks the carts that exist among `ids` until the transaction ends (in id order: no deadlock). */
    async lock(ids: readonly string[]): Promise<Map<string, CartRecord>> {
      const rows = await sql.query<CartRow>(
        `SELECT ${COLUMNS} FROM carts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
        [ids],
      );
      return new Map(rows.map((r) => [r.id, toRecord(r)]));
    },

    /** Records an empty cart unless there is one (in a transaction: then lock() has a row to lock). */
    async ensure(id: string, userId: string | null, now: number): Promise<void> {
      await sql.query(
        `INSERT INTO carts (id, user_id, version, active_at)
         VALUES ($1, $2::uuid, nextval('cart_versions'), to_timestamp($3::float8 / 1000))
         ON CONFLICT (id) DO NOTHING`,
        [id, userId, now],
      );
    },

    /** Records a new cart; undefined when one was recorded meanwhile. */
    async create(id: string, userId: string | null, lines: readonly StoredLine[], now: number) {
      const [row] = await sql.query<CartRow>(
        `INSERT INTO carts (id, user_id, lines, version, active_at)
         VALUES ($1, $2::uuid, $3::text::jsonb, nextval('cart_versions'), to_timestamp($4::float8 / 1000))
         ON CONFLICT (id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [id, userId, json(lines), now],
      );
      return row && toRecord(row);
    },

    /** Replaces the lines of the cart at `version`; undefined when it has changed since (read it again). */
    async replace(id: string, version: number, lines: readonly StoredLine[], now: number) {
      const [row] = await sql.query<CartRow>(
        `UPDATE carts SET lines = $3::text::jsonb, version = nextval('cart_versions'),
           active_at = to_timestamp($4::float8 / 1000)
         WHERE id = $1 AND version = $2
         RETURNING ${COLUMNS}`,
        [id, version, json(lines), now],
      );
      return row && toRecord(row);
    },

    /** Writes the lines whatever the version (in a transaction that locked the cart). */
    async save(id: string, userId: string | null, lines: readonly StoredLine[], now: number): Promise<CartRecord> {
      const [row] = await sql.query<CartRow>(
        `INSERT INTO carts (id, user_id, lines, version, active_at)
         VALUES ($1, $2::uuid, $3::text::jsonb, nextval('cart_versions'), to_timestamp($4::float8 / 1000))
         ON CONFLICT (id) DO UPDATE SET lines = excluded.lines, version = excluded.version,
           active_at = excluded.active_at
         RETURNING ${COLUMNS}`,
        [id, userId, json(lines), now],
      );
      return toRecord(row as CartRow);
    },

    /** Marks a cart active (a read), keeping its version; false when it changed since `version`. */
    async touch(id: string, version: number, now: number): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE carts SET active_at = to_timestamp($3::float8 / 1000) WHERE id = $1 AND version = $2 RETURNING 1`,
        [id, version, now],
      );
      return rows.length > 0;
    },

    /** Deletes up to `limit` guest carts idle since before `before` (ms); how many. */
    async deleteIdleGuests(before: number, limit: number): Promise<number> {
      const rows = await sql.query(
        `DELETE FROM carts WHERE id IN (
           SELECT id FROM carts WHERE user_id IS NULL AND active_at < to_timestamp($1::float8 / 1000)
           ORDER BY active_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING 1`,
        [before, limit],
      );
      return rows.length;
    },
  };
}

export type CartRecords = ReturnType<typeof cartRecords>;
