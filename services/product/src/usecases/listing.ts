// Product lists and searches: keyset pages, text search ranked within a bounded window, prefix and typo
// fallbacks that run only when the catalog's words say they can match, totals without full counts.
import { createHash } from 'node:crypto';
import {
  assertMayChange,
  type Db,
  decodeCursor,
  encodeCursor,
  Invalid,
  invalidCursor,
  type Logger,
  type Principal,
  Unauthorized,
} from '@microbazaar/kit';
import { type Product, presentProduct } from '../domain/products.js';
import { CatalogCache } from '../store/catalog-cache.js';
import {
  EXACT_COUNT_LIMIT,
  type KeyKind,
  type Keyset,
  type ListFilter,
  listingStore,
  type Matcher,
  type MatchMode,
  orderingFor,
  type PageRow,
  type SortOrder,
  searchWords,
  UNRANKED,
  type WindowInfo,
  type WordInfo,
} from '../store/listing.js';
import { productStore } from '../store/products.js';

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
  /** the first MAX_LIMIT + 1 rows: ids and sort keys, the rows themselves are read fresh */
  rows: PageRow[];
  /** relevance: the window's floor, carried by the cursor so later pages rank the same candidates */
  floor?: number | undefined;
  totals: Totals;
}

interface Totals {
  total: number;
  exact: boolean;
}

const MAX_LIMIT = 100;
const MODES: readonly MatchMode[] = ['all', 'text', 'prefix', 'fuzzy'];
/**
 * Relevance is ranked among the newest matches, this many: one more than the exact-count limit, so the
 * window also tells whether the total is exact. A search with fewer matches ranks every one; a search
 * with more pages through the rest newest first after the ranked ones, so every match is reachable.
 */
export const RANK_WINDOW = EXACT_COUNT_LIMIT + 1;

export interface ListingOptions {
  db: Db;
  logger: Logger;
  /** pg_trgm is installed: misspelt words are corrected to the nearest catalog word */
  trigram: boolean;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  /** candidates a relevance page is ranked among (tests make it small) */
  rankWindow?: number;
}

/**
 * The words of a typo search: each word no product has is replaced by its nearest catalog word (or the
 * first one it starts), words with neither are left out. Null when that is the text search again (it found
 * nothing) or nothing is left, so the fallback is skipped.
 */
export function correctedQuery(q: string, typoWords: readonly string[], words: Map<string, WordInfo>): string | null {
  const out: string[] = [];
  for (const w of typoWords) {
    const info = words.get(w);
    const replacement = info?.known ? w : (info?.nearest ?? info?.completion);
    if (replacement && !out.includes(replacement)) out.push(replacement);
  }
  if (out.length === 0) return null;
  const asTyped = searchWords(q, 1, 50);
  return out.length === asTyped.length && out.every((w, i) => w === asTyped[i]) ? null : out.join(' ');
}

export function createListing(opts: ListingOptions) {
  const { db, logger } = opts;
  const windowSize = opts.rankWindow ?? RANK_WINDOW;
  const onRefreshError = (err: unknown) => logger.warn({ err }, 'search cache refresh failed');
  const cacheOptions = { ttlMs: opts.cacheTtlMs, maxEntries: opts.cacheMaxEntries, onRefreshError };
  const searches = new CatalogCache<SearchResult>(cacheOptions);
  const totals = new CatalogCache<Totals>(cacheOptions);

  const countMatches = async (filter: ListFilter, matcher: Matcher): Promise<Totals> => {
    const store = listingStore(db);
    const counted = await store.cappedCount(filter, matcher);
    if (counted <= EXACT_COUNT_LIMIT) return { total: counted, exact: true };
    const estimate = await store.estimate(filter, matcher).catch(() => 0);
    return { total: Math.max(estimate, counted), exact: false };
  };

  /** Totals of a relevance page from its window: exact below the window's size, else counted or estimated. */
  const windowTotals = async (
    filter: ListFilter,
    matcher: Matcher,
    window: WindowInfo,
    full: boolean,
    key: string,
  ): Promise<Totals> => {
    if (!full) return { total: window.matches, exact: true };
    if (windowSize <= EXACT_COUNT_LIMIT) return totals.get(key, () => countMatches(filter, matcher));
    // the window alone holds more than EXACT_COUNT_LIMIT matches: extrapolated from it, no count
    return { total: Math.max(window.estimate, window.matches), exact: false };
  };

  /** One mode of a first page: null when it finds nothing (the next fallback gets its turn). */
  const attempt = async (
    filter: ListFilter,
    matcher: Matcher,
    sort: SortOrder,
    fingerprint: string,
  ): Promise<SearchResult | null> => {
    const { rows, window } = await listingStore(db).pageIds(filter, matcher, sort, MAX_LIMIT + 1, {
      size: windowSize,
    });
    if (rows.length === 0) return null;
    const key = `${fingerprint}:${matcher.mode}`;
    if (window) {
      const full = window.matches >= windowSize;
      const counted = await windowTotals(filter, matcher, window, full, key);
      return { mode: matcher.mode, rows, floor: full ? window.floor : 0, totals: counted };
    }
    // fewer rows than asked for are all the matches
    const counted =
      rows.length <= MAX_LIMIT
        ? { total: rows.length, exact: true }
        : await totals.get(key, () => countMatches(filter, matcher));
    return { mode: matcher.mode, rows, totals: counted };
  };

  /** What the catalog's words say about the words of q (one small query, only when full text found nothing). */
  const wordsOf = (q: string) => {
    const prefixWords = searchWords(q, 2, 8);
    const typoWords = opts.trigram ? searchWords(q, 3, 5) : [];
    return {
      prefixWords,
      typoWords,
      info: listingStore(db).words([...new Set([...prefixWords, ...typoWords])], opts.trigram),
    };
  };

  /**
   * Full text first; when that finds nothing, word prefixes, but only if every word starts some catalog
   * word; then the words corrected to catalog words, but only if a correction changes the query.
   * A search that matches nothing costs the text query and one lookup in search_words.
   */
  const search = async (filter: ListFilter, sort: SortOrder, fingerprint: string): Promise<SearchResult> => {
    const text = await attempt(filter, { mode: 'text' }, sort, fingerprint);
    if (text) return text;
    const q = filter.q ?? '';
    const { prefixWords, typoWords, info } = wordsOf(q);
    const words = await info;
    if (prefixWords.length > 0 && prefixWords.every((w) => words.get(w)?.completion)) {
      const prefix = await attempt(filter, { mode: 'prefix' }, sort, fingerprint);
      if (prefix) return prefix;
    }
    const corrected = opts.trigram ? correctedQuery(q, typoWords, words) : null;
    if (corrected) {
      const fuzzy = await attempt(filter, { mode: 'fuzzy', corrected }, sort, fingerprint);
      if (fuzzy) return fuzzy;
    }
    return { mode: 'text', rows: [], totals: { total: 0, exact: true } };
  };

  /** The matcher a cursor's mode stands for (a typo search corrects its words again). */
  const matcherFor = async (mode: MatchMode, q: string): Promise<Matcher> => {
    if (mode !== 'fuzzy') return { mode };
    const { typoWords, info } = wordsOf(q);
    return { mode, corrected: correctedQuery(q, typoWords, await info) ?? undefined };
  };

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

    /** A seller's archived products (`status=archived`): for that seller and admins, newest first, no filters. */
    async archived(principal: Principal | null, query: ListQuery): Promise<ProductPage> {
      const filtered = [query.q, query.category, query.minPrice, query.maxPrice].some((v) => v !== undefined);
      if (query.sellerId === undefined || filtered) {
        throw new Invalid(
          'Invalid query/status: archived products are listed by sellerId alone',
          [{ path: 'querystring/status', message: 'archived takes sellerId, limit and cursor only' }],
          'VALIDATION_FAILED',
        );
      }
      if (!principal) throw new Unauthorized();
      const sellerId = query.sellerId.toLowerCase();
      assertMayChange(principal, sellerId);
      let beforeSeq: number | undefined;
      if (query.cursor) {
        const [kind, seq] = decodeCursor(query.cursor, ['string', 'number']);
        if (kind !== 'archived') throw invalidCursor();
        beforeSeq = Number(seq);
      }
      const limit = Math.min(Math.max(query.limit, 1), MAX_LIMIT);
      const store = productStore(db);
      const { rows, total } = await store.archivedOf(sellerId, limit + 1, beforeSeq);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const products = await store.byIds(page.map((r) => r.id));
      return {
        items: products.filter((p) => p.status === 'archived').map(presentProduct),
        nextCursor: rows.length > limit && last ? encodeCursor(['archived', last.seq]) : null,
        total,
        totalExact: true,
      };
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

      if (query.cursor || !filter.q) {
        const { mode, keys, floor } = query.cursor
          ? decodeListCursor(query.cursor, fingerprint, sort, (mode) =>
              filter.q ? mode !== 'all' && (mode !== 'fuzzy' || opts.trigram) : mode === 'all',
            )
          : { mode: 'all' as const, keys: undefined, floor: undefined };
        const matcher = await matcherFor(mode, filter.q ?? '');
        const key = `${fingerprint}:${mode}`;
        const window = { size: windowSize, floor };
        const ranked = orderingFor(mode, sort).keys.includes('rank');
        // an index-ordered page and its (cached) count go together; a ranked page counts its own window
        const [page, counted] = await Promise.all([
          listingStore(db).page(filter, matcher, sort, limit + 1, window, keys),
          ranked ? undefined : totals.get(key, () => countMatches(filter, matcher)),
        ]);
        const rows = page.rows.slice(0, limit);
        const last = rows.at(-1);
        const pageTotals =
          counted ??
          (page.window
            ? await windowTotals(
                filter,
                matcher,
                page.window,
                (floor ?? 0) > 0 || page.window.matches >= windowSize,
                key,
              )
            : await totals.get(key, () => countMatches(filter, matcher)));
        return {
          items: rows.map((r) => presentProduct(r.product)),
          nextCursor:
            page.rows.length > limit && last
              ? encodeListCursor(fingerprint, mode, ranked ? [...last.keys, floor ?? 0] : last.keys)
              : null,
          total: pageTotals.total,
          totalExact: pageTotals.exact,
        };
      }

      // first page of a search: the ranked ids come from the cache, the rows are read fresh
      const result = await searches.get(fingerprint, () => search(filter, sort, fingerprint));
      const ids = result.rows.slice(0, limit);
      const products = await productStore(db).byIds(ids.map((r) => r.id));
      const last = ids.at(-1);
      const ranked = orderingFor(result.mode, sort).keys.includes('rank');
      return {
        items: products.filter((p) => p.status === 'active').map(presentProduct),
        nextCursor:
          result.rows.length > limit && last
            ? encodeListCursor(fingerprint, result.mode, ranked ? [...last.keys, result.floor ?? 0] : last.keys)
            : null,
        total: result.totals.total,
        totalExact: result.totals.exact,
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
): { mode: MatchMode; keys: Keyset; floor: number | undefined } {
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
  const kinds = orderingFor(mode, sort).keys;
  // a relevance cursor also carries its window's floor, a seq (0: every match)
  const ranked = kinds.includes('rank');
  const expected: readonly KeyKind[] = ranked ? [...kinds, 'seq'] : kinds;
  const keys = values.slice(2);
  if (keys.length !== expected.length || !expected.every((kind, i) => isKey(kind, keys[i]))) throw invalidCursor();
  if (ranked && (keys.at(-1) as number) < 0) throw invalidCursor();
  return {
    mode,
    keys: (ranked ? keys.slice(0, -1) : keys) as Keyset,
    floor: ranked ? (keys.at(-1) as number) : undefined,
  };
}

/** A rank is a PostgreSQL real: 0 or a magnitude it can hold (1e-300 underflows, 1e39 overflows). */
const RANK_MIN = 1e-30;
const RANK_MAX = 1e30;

/**
 * Whether an edited cursor's key still fits its column: seq and price are bigint, rank is a real of
 * ts_rank (never negative) or UNRANKED, a match past the relevance window.
 */
function isKey(kind: KeyKind, value: unknown): boolean {
  if (typeof value !== 'number') return false;
  if (kind !== 'rank') return Number.isSafeInteger(value);
  return value === 0 || value === UNRANKED || (value >= RANK_MIN && value <= RANK_MAX);
}
