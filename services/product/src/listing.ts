// Product lists and searches: keyset pages, text search with prefix and typo fallbacks, capped totals.
import { createHash } from 'node:crypto';
import { type Db, encodeCursor, Invalid, invalidCursor, type Logger, type Sql } from '@microbazaar/kit';
import { CatalogCache } from './catalog-cache.js';
import { type Product, presentProduct } from './domain/products.js';
import {
  EXACT_COUNT_LIMIT,
  type KeyKind,
  type Keyset,
  type ListFilter,
  listingStore,
  type MatchMode,
  orderingFor,
  type PageRow,
  type SortOrder,
} from './store/listing.js';
import { productStore } from './store/products.js';

export interface ListQuery extends ListFilter {
  sort?: SortOrder | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface ProductPage {
  items: Product[];
  nextCursor: string | null;
  /** exact up to 1 000 matches, an estimate above */
  total: number;
  totalExact: boolean;
}

interface SearchResult {
  mode: MatchMode;
  /** the first MAX_CACHED_ROWS + 1 rows: ids and sort keys, the rows themselves are read fresh */
  rows: PageRow[];
}

interface Totals {
  total: number;
  exact: boolean;
}

const MAX_LIMIT = 100;
const MODES: readonly MatchMode[] = ['all', 'text', 'prefix', 'fuzzy'];
/** how close a misspelt word must be to a word of a name (pg_trgm word similarity) */
const FUZZY_THRESHOLD = 0.45;

export interface ListingOptions {
  db: Db;
  logger: Logger;
  /** pg_trgm is installed: misspelt searches fall back to trigram similarity */
  trigram: boolean;
  cacheTtlMs: number;
  cacheMaxEntries: number;
}

export function createListing(opts: ListingOptions) {
  const { db, logger } = opts;
  const onRefreshError = (err: unknown) => logger.warn({ err }, 'search cache refresh failed');
  const cacheOptions = { ttlMs: opts.cacheTtlMs, maxEntries: opts.cacheMaxEntries, onRefreshError };
  const searches = new CatalogCache<SearchResult>(cacheOptions);
  const totals = new CatalogCache<Totals>(cacheOptions);
  const fallbacks: MatchMode[] = opts.trigram ? ['text', 'prefix', 'fuzzy'] : ['text', 'prefix'];

  /** Trigram matches need a lower similarity threshold than pg_trgm's default, for this transaction only. */
  const inMode = <T>(mode: MatchMode, fn: (sql: Sql) => Promise<T>): Promise<T> =>
    mode === 'fuzzy'
      ? db.transaction(async (tx) => {
          await tx.query(`SET LOCAL pg_trgm.word_similarity_threshold = ${FUZZY_THRESHOLD}`);
          return fn(tx);
        })
      : fn(db);

  const search = async (filter: ListFilter, sort: SortOrder): Promise<SearchResult> => {
    for (const mode of fallbacks) {
      const rows = await inMode(mode, (sql) => listingStore(sql).pageIds(filter, mode, sort, MAX_LIMIT + 1));
      if (rows.length > 0) return { mode, rows };
    }
    return { mode: 'text', rows: [] };
  };

  const countMatches = (filter: ListFilter, mode: MatchMode): Promise<Totals> =>
    inMode(mode, async (sql) => {
      const store = listingStore(sql);
      const counted = await store.cappedCount(filter, mode);
      if (counted <= EXACT_COUNT_LIMIT) return { total: counted, exact: true };
      const estimate = await store.estimate(filter, mode).catch(() => 0);
      return { total: Math.max(estimate, counted), exact: false };
    });

  return {
    /** Drops every cached search (after a catalog write, here or in another instance). */
    invalidate(): void {
      searches.invalidate();
      totals.invalidate();
    },

    /** Follows catalog changes made by other instances; returns the unsubscribe function. */
    async follow(): Promise<() => Promise<void>> {
      return db.listen(`catalog_${db.schema}`, () => {
        searches.invalidate();
        totals.invalidate();
      });
    },

    async list(query: ListQuery): Promise<ProductPage> {
      const filter = normaliseFilter(query);
      if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
        throw new Invalid(
          'Invalid query/minPrice: must not exceed maxPrice',
          [{ path: 'querystring/minPrice', message: 'must not exceed maxPrice' }],
          'VALIDATION_FAILED',
        );
      }
      const sort: SortOrder = query.sort ?? (filter.q ? 'relevance' : 'newest');
      const limit = Math.min(Math.max(query.limit, 1), MAX_LIMIT);
      const fingerprint = listFingerprint(filter, sort);
      const totalsOf = (mode: MatchMode) => totals.get(`${fingerprint}:${mode}`, () => countMatches(filter, mode));

      if (query.cursor || !filter.q) {
        const { mode, keys } = query.cursor
          ? decodeListCursor(query.cursor, fingerprint, sort, (mode) =>
              filter.q ? mode !== 'all' && (mode !== 'fuzzy' || opts.trigram) : mode === 'all',
            )
          : { mode: 'all' as const, keys: undefined };
        const [rows, counted] = await Promise.all([
          inMode(mode, (sql) => listingStore(sql).page(filter, mode, sort, limit + 1, keys)),
          totalsOf(mode),
        ]);
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          items: page.map((r) => presentProduct(r.product)),
          nextCursor: rows.length > limit && last ? encodeListCursor(fingerprint, mode, last.keys) : null,
          total: counted.total,
          totalExact: counted.exact,
        };
      }

      // first page of a search: the ranked ids come from the cache, the rows are read fresh
      const result = await searches.get(fingerprint, () => search(filter, sort));
      const ids = result.rows.slice(0, limit);
      const [products, counted] = await Promise.all([
        productStore(db).byIds(ids.map((r) => r.id)),
        totalsOf(result.mode),
      ]);
      const last = ids.at(-1);
      return {
        items: products.filter((p) => p.status === 'active').map(presentProduct),
        nextCursor: result.rows.length > limit && last ? encodeListCursor(fingerprint, result.mode, last.keys) : null,
        total: counted.total,
        totalExact: counted.exact,
      };
    },
  };
}

export type Listing = ReturnType<typeof createListing>;

function normaliseFilter(query: ListQuery): ListFilter {
  const q = query.q?.replace(/\s+/g, ' ').trim();
  return {
    ...(q ? { q } : {}),
    ...(query.category !== undefined ? { category: query.category } : {}),
    ...(query.minPrice !== undefined ? { minPrice: query.minPrice } : {}),
    ...(query.maxPrice !== undefined ? { maxPrice: query.maxPrice } : {}),
    ...(query.sellerId !== undefined ? { sellerId: query.sellerId.toLowerCase() } : {}),
  };
}

/** Ties a cursor to the list it came from: the same cursor on another query or order is a 400. */
function listFingerprint(filter: ListFilter, sort: SortOrder): string {
  const text = JSON.stringify([
    filter.q?.toLowerCase() ?? null,
    filter.category ?? null,
    filter.minPrice ?? null,
    filter.maxPrice ?? null,
    filter.sellerId ?? null,
    sort,
  ]);
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

function encodeListCursor(fingerprint: string, mode: MatchMode, keys: Keyset): string {
  return encodeCursor([fingerprint, mode, ...keys]);
}

function decodeListCursor(
  cursor: string,
  fingerprint: string,
  sort: SortOrder,
  possible: (mode: MatchMode) => boolean,
): { mode: MatchMode; keys: Keyset } {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(values) || values[0] !== fingerprint || !MODES.includes(values[1] as MatchMode)) {
    throw invalidCursor();
  }
  const mode = values[1] as MatchMode;
  if (!possible(mode)) throw invalidCursor();
  const keys = values.slice(2);
  const kinds = orderingFor(mode, sort).keys;
  if (keys.length !== kinds.length || !kinds.every((kind, i) => isKey(kind, keys[i]))) throw invalidCursor();
  return { mode, keys: keys as Keyset };
}

/** A rank is a PostgreSQL real: 0 or a magnitude it can hold (1e-300 underflows, 1e39 overflows). */
const RANK_MIN = 1e-30;
const RANK_MAX = 1e30;

/** Whether an edited cursor's key still fits its column: seq and price are bigint, rank is real. */
function isKey(kind: KeyKind, value: unknown): boolean {
  if (typeof value !== 'number') return false;
  if (kind !== 'rank') return Number.isSafeInteger(value);
  const size = Math.abs(value);
  return value === 0 || (size >= RANK_MIN && size <= RANK_MAX);
}
