// SQL of the reindex queue: products to read again from the product service and embed.
import type { Sql } from '@microbazaar/kit';

export function reindexStore(sql: Sql) {
  return {
    /** Queues products (again: a newer request replaces an older one and is due now). */
    async enqueue(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await sql.query(
        `INSERT INTO reindex_queue (product_id)
         SELECT unnest($1::uuid[])
         ON CONFLICT (product_id) DO UPDATE SET requested_at = now(), not_before = now(), attempts = 0`,
        [`{${ids.join(',')}}`],
      );
    },

    /** Due entries, oldest first, pushed back by `leaseMs` so another instance does not take them meanwhile. */
    async claim(limit: number, leaseMs: number): Promise<Array<{ id: string; requestedAt: string; attempts: number }>> {
      const rows = await sql.query<{ product_id: string; requested_at: Date | string; attempts: number }>(
        `UPDATE reindex_queue q SET not_before = now() + make_interval(secs => $2::double precision / 1000),
           attempts = q.attempts + 1
         FROM (SELECT product_id FROM reindex_queue WHERE not_before <= now()
               ORDER BY not_before, requested_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE q.product_id = due.product_id
         RETURNING q.product_id, q.requested_at, q.attempts`,
        [limit, leaseMs],
      );
      return rows.map((r) => ({
        id: r.product_id,
        requestedAt: r.requested_at instanceof Date ? r.requested_at.toISOString() : String(r.requested_at),
        attempts: r.attempts,
      }));
    },

    /** Removes entries done, unless requested again after `claimedAt` (a newer change came in meanwhile). */
    async done(ids: readonly string[], requestedAt: ReadonlyMap<string, string>): Promise<void> {
      if (ids.length === 0) return;
      await sql.query(
        `DELETE FROM reindex_queue q USING jsonb_to_recordset($1::jsonb) AS r(id uuid, at timestamptz)
         WHERE q.product_id = r.id AND q.requested_at <= r.at`,
        [JSON.stringify(ids.map((id) => ({ id, at: requestedAt.get(id) })))],
      );
    },

    /** Retries later, backing off with the attempts; gives up (drops the entry) after `maxAttempts`. */
    async retry(id: string, attempts: number, maxAttempts: number): Promise<void> {
      if (attempts >= maxAttempts) {
        await sql.query('DELETE FROM reindex_queue WHERE product_id = $1', [id]);
        return;
      }
      await sql.query(
        `UPDATE reindex_queue SET not_before = now() + make_interval(secs => least(300, 2 ^ $2::int))
         WHERE product_id = $1`,
        [id, attempts],
      );
    },

    async size(): Promise<number> {
      const [row] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM reindex_queue');
      return Number(row?.n ?? 0);
    },
  };
}

export type ReindexStore = ReturnType<typeof reindexStore>;
