// Puts products into the read model: embeds what changed (a vector is reused for a text already
// embedded), writes the rows and announces the change; and works off the reindex queue events fill.
import type { Db, Logger } from '@microbazaar/kit';
import type { CatalogSource } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import { type CatalogItem, embeddingText } from '../domain/catalog.js';
import { contentHash } from '../domain/text.js';
import { announceChange, catalogChannel, catalogStore, type IndexedProduct } from '../store/catalog.js';
import { reindexStore } from '../store/reindex.js';

export interface IndexerOptions {
  db: Db;
  embedder: Embedder;
  source: CatalogSource;
  logger: Logger;
  /** the category's display name, part of the text the model reads */
  categoryName(slug: string | null): string | undefined;
  /** words of the description the model reads too (default 0: name and category only) */
  descriptionWords?: number;
  /** products read per reindex round (default 64) */
  batchSize?: number;
  /** attempts before a product that cannot be read is dropped from the queue (default 8) */
  maxAttempts?: number;
}

export interface IndexStats {
  products: number;
  /** texts sent to the model */
  embedded: number;
  /** vectors found for an identical text */
  reused: number;
}

/** Products embedded, not yet written. */
export interface Prepared {
  rows: IndexedProduct[];
  /** texts sent to the model for them */
  embedded: number;
}

export interface Indexer {
  /** Embeds what is missing (the slow part, done ahead of the write by the backfill). */
  prepare(items: readonly CatalogItem[], priority: 'interactive' | 'bulk'): Promise<Prepared>;
  /** Writes prepared products read at `readAt`, and announces the change. */
  write(prepared: Prepared, readAt: Date): Promise<IndexStats>;
  /** Embeds and writes products read at `readAt`; `bulk` work waits behind customers' queries. */
  index(items: readonly CatalogItem[], readAt: Date, priority: 'interactive' | 'bulk'): Promise<IndexStats>;
  /** One round of the reindex queue; the number of products handled. */
  drainQueue(): Promise<number>;
  /** the category names were updated from the product service (a product named an unknown one) */
  refreshCategories(): Promise<void>;
}

export function createIndexer(opts: IndexerOptions): Indexer {
  const { db, embedder, source, logger } = opts;
  const channel = catalogChannel(db.schema);
  const batchSize = opts.batchSize ?? 64;
  const maxAttempts = opts.maxAttempts ?? 8;
  let categoriesReadAt = 0;

  const textOf = (item: CatalogItem) =>
    embeddingText(item, {
      categoryName: opts.categoryName(item.category),
      descriptionWords: opts.descriptionWords ?? 0,
    });

  async function refreshCategories() {
    categoriesReadAt = Date.now();
    const categories = await source.categories();
    await db.transaction(async (tx) => {
      await catalogStore(tx).upsertCategories(categories);
      await announceChange(tx, channel, 'products');
    });
  }

  // vectors of texts embedded lately, so pages prepared ahead of their write share them too
  const recent = new Map<string, Float32Array>();
  const remember = (hash: string, vector: Float32Array) => {
    recent.set(hash, vector);
    if (recent.size > 20_000) recent.delete(recent.keys().next().value as string);
  };

  async function prepare(items: readonly CatalogItem[], priority: 'interactive' | 'bulk'): Promise<Prepared> {
    if (items.length === 0) return { rows: [], embedded: 0 };
    const unknownCategory = items.some((i) => i.category && !opts.categoryName(i.category));
    if (unknownCategory && Date.now() - categoriesReadAt > 30_000) {
      await refreshCategories().catch((err: unknown) =>
        logger.warn({ err: (err as Error).message }, 'reading the categories failed'),
      );
    }
    const texts = items.map(textOf);
    const hashes = texts.map(contentHash);
    const known = new Map<string, Float32Array>();
    for (const h of hashes) {
      const v = recent.get(h);
      if (v) known.set(h, v);
    }
    const unknown = [...new Set(hashes.filter((h) => !known.has(h)))];
    for (const [h, v] of await catalogStore(db).vectorsFor(embedder.model, unknown)) known.set(h, v);
    const missing = new Map<string, string>();
    hashes.forEach((h, i) => {
      if (!known.has(h)) missing.set(h, texts[i] as string);
    });
    if (missing.size) {
      const vectors = await embedder.embed([...missing.values()], { priority });
      [...missing.keys()].forEach((h, i) => {
        known.set(h, vectors[i] as Float32Array);
        remember(h, vectors[i] as Float32Array);
      });
    }
    const rows: IndexedProduct[] = items.map((item, i) => ({
      item,
      contentHash: hashes[i] as string,
      model: embedder.model,
      vector: known.get(hashes[i] as string) as Float32Array,
    }));
    return { rows, embedded: missing.size };
  }

  async function write(prepared: Prepared, readAt: Date): Promise<IndexStats> {
    const { rows, embedded } = prepared;
    if (rows.length) {
      await db.transaction(async (tx) => {
        await catalogStore(tx).upsert(rows, readAt);
        await announceChange(tx, channel, 'products');
      });
    }
    return { products: rows.length, embedded, reused: rows.length - embedded };
  }

  async function index(items: readonly CatalogItem[], readAt: Date, priority: 'interactive' | 'bulk') {
    return write(await prepare(items, priority), readAt);
  }

  async function drainQueue(): Promise<number> {
    const queue = reindexStore(db);
    const due = await queue.claim(batchSize, 60_000);
    if (due.length === 0) return 0;
    const readAt = new Date();
    const read = await Promise.all(
      due.map(async (entry) => {
        try {
          return { entry, product: await source.product(entry.id), ok: true as const };
        } catch (err) {
          logger.warn({ err: (err as Error).message, productId: entry.id }, 'reading a product to index failed');
          return { entry, ok: false as const };
        }
      }),
    );
    const found = read.filter((r) => r.ok && r.product).map((r) => r.product as CatalogItem);
    try {
      await index(found, readAt, 'interactive');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'indexing products failed; retrying');
      for (const { entry } of read) await queue.retry(entry.id, entry.attempts, maxAttempts);
      return 0;
    }
    // gone from the product service (never existed there): nothing to index
    const settled = read.filter((r) => r.ok).map((r) => r.entry);
    await queue.done(
      settled.map((e) => e.id),
      new Map(settled.map((e) => [e.id, e.requestedAt])),
    );
    for (const r of read) if (!r.ok) await queue.retry(r.entry.id, r.entry.attempts, maxAttempts);
    return settled.length;
  }

  return { index, prepare, write, drainQueue, refreshCategories };
}
