// The backfill: reads the whole catalog from the product API page by page into the read model, at
// first start or when the read model is empty. Progress (the next page's cursor) is stored after
// every page, so a backfill cut short resumes where it stopped; a lease keeps it to one instance.
import { randomUUID } from 'node:crypto';
import type { Db, Logger } from '@microbazaar/kit';
import type { CatalogPage, CatalogSource } from '../adapters/catalog.js';
import { type BackfillState, backfillStore } from '../store/backfill.js';
import { catalogStore } from '../store/catalog.js';
import type { Indexer, Prepared } from './indexer.js';

export interface BackfillOptions {
  db: Db;
  source: CatalogSource;
  indexer: Indexer;
  logger: Logger;
  /** products per page (default 100, the product API's maximum) */
  pageSize?: number;
  /** how long the lease holds without a page read (default 60 s) */
  leaseMs?: number;
  /** this instance's name in the lease */
  owner?: string;
  /** stops between pages (the state keeps the cursor) */
  signal?: AbortSignal;
  /** called after each page (progress, tests) */
  onPage?: (state: { pages: number; products: number }) => void;
}

/** pages read and embedded ahead of the one being written */
const LOOKAHEAD = 2;

export type BackfillOutcome = 'done' | 'already_done' | 'busy' | 'stopped';

export interface BackfillResult {
  outcome: BackfillOutcome;
  /** pages and products read by this run (not the total) */
  pages: number;
  products: number;
  embedded: number;
  ms: number;
}

/** Starts a backfill over when the read model has no products though the last one finished. */
export async function needsBackfill(db: Db): Promise<boolean> {
  const state = await backfillStore(db).get();
  if (!state) return true;
  if (state.status === 'running') return true;
  if ((await catalogStore(db).count()) === 0) {
    await backfillStore(db).restart();
    return true;
  }
  return false;
}

export async function runBackfill(opts: BackfillOptions): Promise<BackfillResult> {
  const { db, source, indexer, logger } = opts;
  const store = backfillStore(db);
  const owner = opts.owner ?? randomUUID();
  const pageSize = opts.pageSize ?? 100;
  const leaseMs = opts.leaseMs ?? 60_000;
  const started = performance.now();
  const result = { pages: 0, products: 0, embedded: 0 };
  const finish = (outcome: BackfillOutcome): BackfillResult => ({
    outcome,
    ...result,
    ms: Math.round(performance.now() - started),
  });

  let state: BackfillState | undefined = await store.lease(owner, leaseMs);
  if (!state) {
    const current = await store.get();
    return finish(current?.status === 'done' ? 'already_done' : 'busy');
  }
  if (state.pages === 0) await indexer.refreshCategories();
  logger.info({ resumeAfterPages: state.pages, products: state.products }, 'catalog backfill started');

  // pages are read ahead and embedded while earlier ones are written: at most LOOKAHEAD pages in
  // flight (two keep two model workers busy), written and recorded strictly in order
  type Loaded = { page: CatalogPage; readAt: Date; prepared: Prepared };
  const pending: Array<Promise<Loaded>> = [];
  // the cursor of the next page to read; undefined once the last page was read
  let next: { cursor: string | null } | undefined = { cursor: state.nextCursor };
  let fetching = false;
  const readAhead = () => {
    if (fetching || !next || pending.length >= LOOKAHEAD || opts.signal?.aborted) return;
    fetching = true;
    const { cursor } = next;
    const fetched = source.page(cursor, pageSize).then((page) => ({ page, readAt: new Date() }));
    fetched.then(
      ({ page }) => {
        next = page.nextCursor ? { cursor: page.nextCursor } : undefined;
        fetching = false;
        readAhead();
      },
      () => {
        next = undefined;
        fetching = false;
      },
    );
    pending.push(fetched.then(async (f) => ({ ...f, prepared: await indexer.prepare(f.page.items, 'bulk') })));
  };
  const abandon = () => {
    for (const p of pending.splice(0)) p.catch(() => {});
  };

  try {
    return await readPages();
  } catch (err) {
    abandon();
    await store.release(owner).catch(() => {});
    throw err;
  }

  async function readPages(): Promise<BackfillResult> {
    for (;;) {
      if (opts.signal?.aborted) {
        abandon();
        await store.release(owner);
        return finish('stopped');
      }
      readAhead();
      const { page, readAt, prepared } = await (pending.shift() as Promise<Loaded>);
      readAhead();
      const stats = await indexer.write(prepared, readAt);
      const advanced = await store.advance(owner, page.nextCursor, page.items.length);
      if (!advanced) {
        // the lease went to another instance (this one stalled past it): leave the rest to it
        abandon();
        return finish('busy');
      }
      result.pages++;
      result.products += page.items.length;
      result.embedded += stats.embedded;
      opts.onPage?.({ pages: result.pages, products: result.products });
      if (!page.nextCursor) break;
      state = await store.lease(owner, leaseMs);
      if (!state) {
        abandon();
        return finish('busy');
      }
    }
    const done = finish('done');
    logger.info(
      {
        products: done.products,
        embedded: done.embedded,
        ms: done.ms,
        perSecond: Math.round((done.products / done.ms) * 1000),
      },
      'catalog backfill done',
    );
    return done;
  }
}
