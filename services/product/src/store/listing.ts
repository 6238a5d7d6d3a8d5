// SQL for product lists and searches: keyset pages in four orders, relevance ranked within a bounded window
// of candidates, capped counts, planner estimates, and the catalog words the search fallbacks consult.
import type { Sql } from '@microbazaar/kit';
import type { ProductRecord } from '../domain/products.js';
import { normaliseProductRow, PRODUCT_COLUMNS, PRODUCT_FROM } from './products.js';

export type SortOrder = 'relevance' | 'price_asc' | 'price_desc' | 'newest';
/** How `q` matched: full text, word prefixes, typos corrected to catalog words; `all` when there is no q. */
export type MatchMode = 'all' | 'text' | 'prefix' | 'fuzzy';

export interface ListFilter {
  q?: string | undefined;
  category?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  sellerId?: string | undefined;
}

/** What the text is matched with: the mode, and in fuzzy mode the query's words after correction. */
export interface Matcher {
  mode: MatchMode;
  /** fuzzy: catalog words separated by spaces, all required */
  corrected?: string | undefined;
}

/** The sort key of a row: [seq], [price, seq] or [rank, seq]; a cursor carries the last one. */
export type Keyset = number[];

export interface PageRow {
  id: string;
  keys: Keyset;
}

/**
 * A relevance page is ranked among a window of candidates: the newest `size` matches on the first page,
 * and on later pages the matches from the first page's lowest seq (`floor`) on, so the candidates stay
 * the same while products are added. `floor` 0: the first window held every match.
 */
export interface RankWindow {
  size: number;
  floor?: number | undefined;
}

/** What the window held: its number of candidates (min(matches, size) on a first page) and its floor. */
export interface WindowInfo {
  matches: number;
  floor: number;
  /**
   * All matches, extrapolated from the window: it holds every match from `floor` to the newest product,
   * so its density over that span of seq, times the whole span (no count, no planner round trip).
   */
  estimate: number;
}

export const EXACT_COUNT_LIMIT = 1000;

/**
 * The rank key of a match outside its relevance window (older than its floor): after every ranked match,
 * newest first, so paging a relevance search reaches every match. ts_rank is never negative.
 */
export const UNRANKED = -1;

export type KeyKind = 'seq' | 'price' | 'rank';

export interface Ordering {
  keys: readonly KeyKind[];
  direction: 'asc' | 'desc';
}

/** Relevance needs a text match to rank by; without one it is newest first. */
export function orderingFor(mode: MatchMode, sort: SortOrder): Ordering {
  if (sort === 'price_asc') return { keys: ['price', 'seq'], direction: 'asc' };
  if (sort === 'price_desc') return { keys: ['price', 'seq'], direction: 'desc' };
  if (sort === 'relevance' && mode !== 'all') return { keys: ['rank', 'seq'], direction: 'desc' };
  return { keys: ['seq'], direction: 'desc' };
}

/** Words for prefix and typo matching: letters and digits only, so nothing reaches tsquery syntax. */
export function searchWords(q: string, minLength: number, max: number): string[] {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= minLength))].slice(0, max);
}

/** How similar (pg_trgm) a catalog word must be to stand in for a misspelt one: 'egonomic' → 'ergonomic' is 0.58. */
export const CORRECTION_THRESHOLD = 0.4;

/** What the catalog's words say about one query word. */
export interface WordInfo {
  /** some product has this very word */
  known: boolean;
  /** the first catalog word that starts with it (itself when known), or null */
  completion: string | null;
  /** the most similar catalog word (similarity ≥ CORRECTION_THRESHOLD), or null */
  nearest: string | null;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

interface Match {
  where: string[];
  /** the tsquery the text is matched and ranked with (modes other than `all`) */
  tsquery: string | undefined;
}

function buildMatch(params: Params, filter: ListFilter, matcher: Matcher): Match {
  const where = [`p.status = 'active'`];
  if (filter.category !== undefined) where.push(`p.category = ${params.add(filter.category)}`);
  if (filter.minPrice !== undefined) where.push(`p.price_amount >= ${params.add(filter.minPrice, '::bigint')}`);
  if (filter.maxPrice !== undefined) where.push(`p.price_amount <= ${params.add(filter.maxPrice, '::bigint')}`);
  if (filter.sellerId !== undefined) where.push(`p.seller_id = ${params.add(filter.sellerId, '::uuid')}`);
  const q = filter.q ?? '';
  let tsquery: string | undefined;
  if (matcher.mode === 'text') {
    tsquery = `websearch_to_tsquery('english', ${params.add(q)})`;
  } else if (matcher.mode === 'prefix') {
    const words = searchWords(q, 2, 8);
    tsquery = `to_tsquery('english', ${params.add(words.map((w) => `${w}:*`).join(' & '))})`;
    if (words.length === 0) where.push('false');
  } else if (matcher.mode === 'fuzzy') {
    // plain words: whatever a correction holds, no tsquery syntax gets through
    tsquery = `plainto_tsquery('english', ${params.add(matcher.corrected ?? '')})`;
    if (!matcher.corrected) where.push('false');
  }
  // every text mode is one tsquery, so the GIN index on `search` finds the candidates
  if (tsquery) where.push(`p.search @@ ${tsquery}`);
  return { where, tsquery };
}

function keyExpression(kind: KeyKind): string {
  if (kind === 'seq') return 'p.seq';
  if (kind === 'price') return 'p.price_amount';
  throw new Error('a rank is computed in its window');
}

const KEY_CASTS: Record<KeyKind, string> = { seq: '::bigint', price: '::bigint', rank: '::real' };

/** The page query: `columns` (ids by default) and sort keys of at most `limit` rows after `after`. */
function pageQuery(
  params: Params,
  filter: ListFilter,
  matcher: Matcher,
  ordering: Ordering,
  limit: number,
  after?: Keyset,
  select: { columns: string; from: string } = { columns: 'p.id', from: 'products p' },
): string {
  const { where } = buildMatch(params, filter, matcher);
  const exprs = ordering.keys.map((k) => keyExpression(k));
  if (after) {
    const op = ordering.direction === 'asc' ? '>' : '<';
    const values = ordering.keys.map((k, i) => params.add(after[i], KEY_CASTS[k]));
    where.push(`(${exprs.join(', ')}) ${op} (${values.join(', ')})`);
  }
  const dir = ordering.direction.toUpperCase();
  return `SELECT ${select.columns}, ${exprs.map((e, i) => `${e} AS k${i}`).join(', ')}
    FROM ${select.from} WHERE ${where.join(' AND ')}
    ORDER BY ${exprs.map((e) => `${e} ${dir}`).join(', ')}
    LIMIT ${params.add(limit, '::int')}`;
}

/**
 * A relevance page: ts_rank only over the window's candidates (ranking every match of a broad word is
 * what made an uncached search cost tens of milliseconds at 100 000 products), the candidates counted on
 * the way. Answers id, k0 (rank), k1 (seq), wfloor, wmatches, and the table's seqmin and seqmax.
 */
function rankedQuery(
  params: Params,
  filter: ListFilter,
  matcher: Matcher,
  window: RankWindow,
  limit: number,
  after?: Keyset,
): string {
  const { where, tsquery } = buildMatch(params, filter, matcher);
  // later pages keep the first page's candidates (and the matches added since), within twice the window.
  // The size is written into the statement, not bound: a prepared statement's generic plan then expects
  // to read the whole table backwards for it and keeps the GIN bitmap scan, instead of walking seq order
  // for a word that matches nothing (130 ms at 100 000 products).

  if (window.floor !== undefined && window.floor > 0) where.push(`p.seq >= ${params.add(window.floor, '::bigint')}`);
  const size = Math.trunc(window.floor === undefined ? window.size : 2 * window.size);
  const keyset = after
    ? `WHERE (c.k0, c.k1) < (${params.add(after[0], '::real')}, ${params.add(after[1], '::bigint')})`
    : '';
  return `SELECT c.id, c.k0, c.k1, c.wfloor, c.wmatches,
        (SELECT min(seq) FROM products) AS seqmin, (SELECT max(seq) FROM products) AS seqmax FROM (
      SELECT w.id, ts_rank(w.search, ${tsquery ?? "''::tsquery"}) AS k0, w.seq AS k1,
             min(w.seq) OVER () AS wfloor, count(*) OVER () AS wmatches
        FROM (SELECT p.id, p.seq, p.search FROM products p WHERE ${where.join(' AND ')}
               ORDER BY p.seq DESC LIMIT ${size}) w
    ) c ${keyset}
    ORDER BY c.k0 DESC, c.k1 DESC
    LIMIT ${params.add(limit, '::int')}`;
}

function keysOf(row: Record<string, unknown>, count: number): Keyset {
  return Array.from({ length: count }, (_, i) => Number(row[`k${i}`]));
}

function windowOf(rows: ReadonlyArray<Record<string, unknown>>): WindowInfo | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const matches = Number(first.wmatches);
  const floor = Number(first.wfloor);
  const [min, max] = [Number(first.seqmin), Number(first.seqmax)];
  const spanned = Math.max(1, max - floor + 1);
  return { matches, floor, estimate: Math.round((matches * Math.max(spanned, max - min + 1)) / spanned) };
}

type WholeRow = ProductRecord & Record<string, unknown>;
const ID_COLUMNS = { columns: 'p.id', from: 'products p' };
const WHOLE_ROWS = { columns: PRODUCT_COLUMNS, from: PRODUCT_FROM };
const NEWEST: Ordering = { keys: ['seq'], direction: 'desc' };

export function listingStore(sql: Sql) {
  /** Matches older than `before` (a seq), newest first, keyed [UNRANKED, seq]: the rest after a relevance window. */
  const unrankedRows = async <T extends Record<string, unknown>>(
    filter: ListFilter,
    matcher: Matcher,
    limit: number,
    before: number,
    select: { columns: string; from: string },
  ): Promise<T[]> => {
    const params = new Params();
    const text = pageQuery(params, filter, matcher, NEWEST, limit, [before], select);
    const rows = await sql.query<T>(text, params.values);
    // k0 (seq) becomes k1 behind the UNRANKED rank, so the row keys like a ranked one
    return rows.map((r) => ({ ...r, k0: UNRANKED, k1: r.k0 }));
  };

  /**
   * What follows a relevance page that ended inside its window: when the window did not hold every match
   * (its floor: the cursor's, or this first page's when the window filled up), the older matches fill the
   * page, newest first. Nothing when the page is full or the window held every match.
   */
  const afterWindow = async <T extends Record<string, unknown>>(
    filter: ListFilter,
    matcher: Matcher,
    window: RankWindow,
    info: WindowInfo | undefined,
    room: number,
    select: { columns: string; from: string },
  ): Promise<T[]> => {
    const floor = window.floor ?? (info && info.matches >= window.size ? info.floor : 0);
    if (room <= 0 || floor <= 0) return [];
    return unrankedRows<T>(filter, matcher, room, floor, select);
  };

  return {
    /**
     * Ids and sort keys of a page (the search cache keeps these, the rows are read fresh); for relevance,
     * what its window held (undefined when the page is empty).
     */
    async pageIds(
      filter: ListFilter,
      matcher: Matcher,
      sort: SortOrder,
      limit: number,
      window: RankWindow,
      after?: Keyset,
    ): Promise<{ rows: PageRow[]; window?: WindowInfo | undefined }> {
      const ordering = orderingFor(matcher.mode, sort);
      const ranked = ordering.keys.includes('rank');
      const idOf = (r: Record<string, unknown>) => ({ id: String(r.id), keys: keysOf(r, ordering.keys.length) });
      if (ranked && after?.[0] === UNRANKED) {
        return { rows: (await unrankedRows(filter, matcher, limit, after[1] ?? 0, ID_COLUMNS)).map(idOf) };
      }
      const params = new Params();
      const text = ranked
        ? rankedQuery(params, filter, matcher, window, limit, after)
        : pageQuery(params, filter, matcher, ordering, limit, after);
      const rows = await sql.query<Record<string, unknown>>(text, params.values);
      if (!ranked) return { rows: rows.map(idOf) };
      const info = windowOf(rows);
      const more = await afterWindow(filter, matcher, window, info, limit - rows.length, ID_COLUMNS);
      return { rows: [...rows, ...more].map(idOf), window: info };
    },

    /** Whole rows of a page in one round trip: images and stock are read for the page's rows only. */
    async page(
      filter: ListFilter,
      matcher: Matcher,
      sort: SortOrder,
      limit: number,
      window: RankWindow,
      after?: Keyset,
    ): Promise<{ rows: Array<{ product: ProductRecord; keys: Keyset }>; window?: WindowInfo | undefined }> {
      const ordering = orderingFor(matcher.mode, sort);
      const ranked = ordering.keys.includes('rank');
      const rowOf = (r: WholeRow) => ({
        keys: keysOf(r, ordering.keys.length),
        product: normaliseProductRow(r),
      });
      if (ranked && after?.[0] === UNRANKED) {
        return { rows: (await unrankedRows<WholeRow>(filter, matcher, limit, after[1] ?? 0, WHOLE_ROWS)).map(rowOf) };
      }
      const params = new Params();
      // a ranked page sorts its window, so whole rows are joined to the page's ids only; an index-ordered
      // page stops after `limit` rows and reads them whole in place
      const text = ranked
        ? `SELECT ${PRODUCT_COLUMNS}, pg.k0, pg.k1, pg.wfloor, pg.wmatches, pg.seqmin, pg.seqmax
             FROM (${rankedQuery(params, filter, matcher, window, limit, after)}) pg
             JOIN products p ON p.id = pg.id LEFT JOIN stock s ON s.product_id = p.id
            ORDER BY pg.k0 DESC, pg.k1 DESC`
        : pageQuery(params, filter, matcher, ordering, limit, after, { columns: PRODUCT_COLUMNS, from: PRODUCT_FROM });
      const rows = await sql.query<WholeRow>(text, params.values);
      if (!ranked) return { rows: rows.map(rowOf) };
      const info = windowOf(rows);
      const more = await afterWindow<WholeRow>(filter, matcher, window, info, limit - rows.length, WHOLE_ROWS);
      return { rows: [...rows, ...more].map(rowOf), window: info };
    },

    /** Matches counted up to EXACT_COUNT_LIMIT + 1: a broad search never pays for a full count. */
    async cappedCount(filter: ListFilter, matcher: Matcher): Promise<number> {
      const params = new Params();
      const { where } = buildMatch(params, filter, matcher);
      const [row] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM products p WHERE ${where.join(' AND ')}
           LIMIT ${EXACT_COUNT_LIMIT + 1}) c`,
        params.values,
      );
      return Number(row?.n ?? 0);
    },

    /** The planner's row estimate for the matches (from table statistics, no scan). */
    async estimate(filter: ListFilter, matcher: Matcher): Promise<number> {
      const params = new Params();
      const { where } = buildMatch(params, filter, matcher);
      const rows = await sql.query<Record<string, unknown>>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM products p WHERE ${where.join(' AND ')}`,
        params.values,
      );
      const first = rows[0] ? Object.values(rows[0])[0] : undefined;
      const plan = (typeof first === 'string' ? JSON.parse(first) : first) as Array<{ Plan: { 'Plan Rows': number } }>;
      return Math.round(plan?.[0]?.Plan['Plan Rows'] ?? 0);
    },

    /**
     * What the catalog's words (search_words) say about each query word, in one round trip of index
     * lookups on a small table: whether a prefix search or a typo correction can find anything at all.
     */
    async words(words: readonly string[], trigram: boolean): Promise<Map<string, WordInfo>> {
      if (words.length === 0) return new Map();
      // under "C" the words starting with w are the range [w, w + the last code point)
      // `%` (pg_trgm's threshold, 0.3 by default) finds the candidates by index; the stricter bound keeps
      // a long word from being "corrected" to a short one it merely contains (saxophone → phone is 0.33)
      const nearest = trigram
        ? `(SELECT v.word FROM search_words v WHERE v.word % q.word AND similarity(v.word, q.word) >= $3
             ORDER BY similarity(v.word, q.word) DESC, v.word LIMIT 1)`
        : 'NULL';
      const rows = await sql.query<{ word: string; known: boolean; completion: string | null; nearest: string | null }>(
        `SELECT q.word,
                EXISTS (SELECT 1 FROM search_words v WHERE v.word = q.word COLLATE "C") AS known,
                (SELECT v.word FROM search_words v
                  WHERE v.word >= q.word COLLATE "C" AND v.word < (q.word || $2) COLLATE "C"
                  ORDER BY v.word LIMIT 1) AS completion,
                ${nearest} AS nearest
           FROM unnest($1::text[]) AS q(word)`,
        trigram ? [words, '\u{10FFFF}', CORRECTION_THRESHOLD] : [words, '\u{10FFFF}'],
      );
      return new Map(rows.map((r) => [r.word, { known: r.known, completion: r.completion, nearest: r.nearest }]));
    },
  };
}

/** pg_trgm is installed (PostgreSQL contrib, and loaded into the embedded PGlite by the kit); a server without it degrades to prefix matching. */
export async function hasTrigram(sql: Sql): Promise<boolean> {
  const [row] = await sql.query<{ ok: boolean }>(
    `SELECT to_regprocedure('word_similarity(text, text)') IS NOT NULL AS ok`,
  );
  return row?.ok === true;
}
