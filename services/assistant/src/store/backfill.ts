// SQL of the backfill's progress: the cursor of the next page, and a lease so one instance reads at a time.
import type { Sql } from '@microbazaar/kit';

export interface BackfillState {
  status: 'running' | 'done';
  nextCursor: string | null;
  pages: number;
  products: number;
  startedAt: string;
  finishedAt: string | null;
}

interface Row {
  status: 'running' | 'done';
  next_cursor: string | null;
  pages: number;
  products: number;
  started_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function fromRow(r: Row): BackfillState {
  return {
    status: r.status,
    nextCursor: r.next_cursor,
    pages: r.pages,
    products: r.products,
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at === null ? null : iso(r.finished_at),
  };
}

export function backfillStore(sql: Sql) {
  return {
    async get(): Promise<BackfillState | undefined> {
      const [row] = await sql.query<Row>('SELECT * FROM backfill WHERE id = 1');
      return row ? fromRow(row) : undefined;
    },

    /**
     * Takes (or renews) the lease of the running backfill, creating it when there is none; undefined
     * when another instance holds it or the backfill is done.
     */
    async lease(owner: string, leaseMs: number): Promise<BackfillState | undefined> {
      await sql.query(`INSERT INTO backfill (status) VALUES ('running') ON CONFLICT (id) DO NOTHING`);
      const [row] = await sql.query<Row>(
        `UPDATE backfill SET owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id = 1 AND status = 'running' AND (owner IS NULL OR owner = $1 OR lease_until < now())
         RETURNING *`,
        [owner, leaseMs],
      );
      return row ? fromRow(row) : undefined;
    },

    /** Records a page read: the cursor of the next one (null: the last page was read). */
    async advance(owner: string, nextCursor: string | null, products: number): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE backfill SET next_cursor = $2, pages = pages + 1, products = products + $3,
           status = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'running' END,
           finished_at = CASE WHEN $2::text IS NULL THEN now() ELSE NULL END
         WHERE id = 1 AND owner = $1 AND status = 'running' RETURNING id`,
        [owner, nextCursor, products],
      );
      return rows.length > 0;
    },

    /** Gives the lease up (a stop between pages): the next start, here or elsewhere, resumes at once. */
    async release(owner: string): Promise<void> {
      await sql.query('UPDATE backfill SET owner = NULL, lease_until = NULL WHERE id = 1 AND owner = $1', [owner]);
    },

    /** Starts over from the first page (an emptied read model, or `npm run`'s reindex). */
    async restart(): Promise<void> {
      await sql.query(
        `INSERT INTO backfill (status) VALUES ('running')
         ON CONFLICT (id) DO UPDATE SET status = 'running', next_cursor = NULL, pages = 0, products = 0,
           owner = NULL, lease_until = NULL, started_at = now(), finished_at = NULL`,
      );
    },
  };
}

export type BackfillStore = ReturnType<typeof backfillStore>;
