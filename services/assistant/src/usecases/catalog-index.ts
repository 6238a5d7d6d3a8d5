// The in-memory index every instance searches: a mirror of the products table, kept current by
// following its change feed (woken by NOTIFY, swept every few seconds in case one was missed).
import { type Db, type Logger, wakeLoop } from '@microbazaar/kit';
import type { CategoryInfo } from '../domain/catalog.js';
import { type IndexEntry, indexEntry } from '../domain/entry.js';
import { buildVocabulary, type Vocabulary } from '../domain/vocabulary.js';
import { catalogChannel, catalogStore, type IndexedProduct } from '../store/catalog.js';

export interface CatalogIndex {
  /** every product the read model has (archived ones too: rankings skip them) */
  entries(): readonly IndexEntry[];
  get(id: string): IndexEntry | undefined;
  bySlug(slug: string): IndexEntry | undefined;
  categoryName(slug: string | null | undefined): string | undefined;
  vocabulary(): Vocabulary;
  /** ids of products changed since vocabulary() was built (their words are not in its postings yet) */
  fresh(): ReadonlySet<string>;
  /** changes on every applied change: a key for caches of search results */
  readonly version: number;
  readonly size: number;
  /** reads changes now (a write in this process calls it so its own change shows at once) */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export interface CatalogIndexOptions {
  db: Db;
  logger: Logger;
  /** the model whose vectors count; rows of another model are skipped until re-embedded */
  model: string;
  /** sweep for missed notifications (default 5 s) */
  sweepMs?: number;
  /** rebuild the vocabulary at most this often while changes come in (default 2 s; changed products are matched by their own words meanwhile) */
  vocabularyEveryMs?: number;
}

const LOAD_PAGE = 2000;

export async function openCatalogIndex(opts: CatalogIndexOptions): Promise<CatalogIndex> {
  const { db, logger } = opts;
  const store = catalogStore(db);
  const entries = new Map<string, IndexEntry>();
  const slugs = new Map<string, string>();
  const vectors = new Map<string, Float32Array>();
  let categories = new Map<string, CategoryInfo>();
  let list: IndexEntry[] = [];
  let listDirty = true;
  let vocab: Vocabulary | undefined;
  let vocabDirty = true;
  let changedSinceVocab = new Set<string>();
  let vocabBuiltAt = 0;
  let version = 0;
  let cursor = '0';
  let closed = false;
  const vocabularyEveryMs = opts.vocabularyEveryMs ?? 2000;

  const apply = (rows: readonly IndexedProduct[]) => {
    for (const row of rows) {
      if (row.model !== opts.model) continue;
      // products sharing a text share one vector object (and one cosine per query)
      const key = `${row.contentHash}`;
      let vector = vectors.get(key);
      if (!vector || vector.length !== row.vector.length) {
        vector = row.vector;
        vectors.set(key, vector);
      }
      const previous = entries.get(row.item.id);
      if (previous && previous.item.slug !== row.item.slug) slugs.delete(previous.item.slug);
      entries.set(row.item.id, indexEntry(row.item, vector, categories.get(row.item.category ?? '')?.name));
      changedSinceVocab.add(row.item.id);
      slugs.set(row.item.slug, row.item.id);
    }
    if (rows.length) {
      listDirty = true;
      vocabDirty = true;
      version++;
    }
  };

  const loadCategories = async () => {
    const found = await store.categories();
    const changed = found.length !== categories.size || found.some((c) => categories.get(c.slug)?.name !== c.name);
    if (changed) {
      categories = new Map(found.map((c) => [c.slug, c]));
      vocabDirty = true;
      version++;
    }
  };

  const sync = async () => {
    const { rows, horizon } = await store.changesSince(cursor);
    apply(rows);
    cursor = horizon;
  };

  const load = async () => {
    await loadCategories();
    let afterId: string | null = null;
    let first = true;
    for (;;) {
      const page: { rows: IndexedProduct[]; horizon: string } = await store.page(afterId, LOAD_PAGE);
      if (first) cursor = page.horizon;
      first = false;
      apply(page.rows);
      if (page.rows.length < LOAD_PAGE) break;
      afterId = page.rows.at(-1)?.item.id ?? null;
    }
    logger.info({ products: entries.size, distinctVectors: vectors.size }, 'catalog index loaded');
  };
  await load();

  const loop = wakeLoop(async () => {
    if (closed) return;
    try {
      await loadCategories();
      await sync();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'catalog index refresh failed; retrying on the next change');
    }
  }, opts.sweepMs ?? 5000);
  const unlisten = await db.listen(catalogChannel(db.schema), (what) => {
    if (what === 'products') loop.wake();
  });

  const all = () => {
    if (listDirty) {
      list = [...entries.values()];
      listDirty = false;
    }
    return list;
  };

  return {
    entries: all,
    get: (id) => entries.get(id),
    bySlug: (slug) => {
      const id = slugs.get(slug);
      return id ? entries.get(id) : undefined;
    },
    categoryName: (slug) => (slug ? categories.get(slug)?.name : undefined),
    vocabulary() {
      const now = Date.now();
      if (!vocab || (vocabDirty && now - vocabBuiltAt >= vocabularyEveryMs)) {
        changedSinceVocab = new Set();
        vocab = buildVocabulary(all(), categories.values());
        vocabDirty = false;
        vocabBuiltAt = now;
      }
      return vocab;
    },
    fresh: () => changedSinceVocab,
    get version() {
      return version;
    },
    get size() {
      return entries.size;
    },
    async refresh() {
      loop.wake();
      await loop.idle();
    },
    async close() {
      closed = true;
      await unlisten().catch(() => {});
      await loop.stop();
    },
  };
}
