// SQL for product lists and searches: keyset pages in four orders, capped counts and planner estimates.
import type { Sql } from '@microbazaar/kit';
import type { ProductRecord } from '../domain/products.js';
import { normaliseProductRow, PRODUCT_COLUMNS, PRODUCT_FROM } from './products.js';

export type SortOrder = 'relevance' | 'price_asc' | 'price_desc' | 'newest';
/** How `q` matched: full text, word prefixes, trigram similarity (typos); `all` when there is no q. */
export type MatchMode = 'all' | 'text' | 'prefix' | 'fuzzy';

export interface ListFilter {
  q?: string | undefined;
  category?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  sellerId?: string | undefined;
}

/** The sort key of a row: [seq], [price, seq] or [rank, seq]; a cursor carries the last one. */
export type Keyset = number[];

export interface PageRow {
  id: string;
  keys: Keyset;
}

export const EXACT_COUNT_LIMIT = 1000;

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

/** Words for prefix and trigram matching: letters and digits only, so nothing reaches tsquery syntax. */
export function searchWords(q: string, minLength: number, max: number): string[] {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= minLength))].slice(0, max);
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
  rank: string | undefined;
}

function buildMatch(params: Params, filter: ListFilter, mode: MatchMode): Match {
  const where = [`p.status = 'active'`];
  if (filter.category !== undefined) where.push(`p.category = ${params.add(filter.category)}`);
  if (filter.minPrice !== undefined) where.push(`p.price_amount >= ${params.add(filter.minPrice, '::bigint')}`);
  if (filter.maxPrice !== undefined) where.push(`p.price_amount <= ${params.add(filter.maxPrice, '::bigint')}`);
  if (filter.sellerId !== undefined) where.push(`p.seller_id = ${params.add(filter.sellerId, '::uuid')}`);
  const q = filter.q ?? '';
  let rank: string | undefined;
  if (mode === 'text') {
    const query = `websearch_to_tsquery('english', ${params.add(q)})`;
    where.push(`p.search @@ ${query}`);
    rank = `ts_rank(p.search, ${query})`;
  } else if (mode === 'prefix') {
    const words = searchWords(q, 2, 8);
    const query = `to_tsquery('english', ${params.add(words.length ? words.map((w) => `${w}:*`).join(' & ') : '')})`;
    where.push(words.length ? `p.search @@ ${query}` : 'false');
    rank = `ts_rank(p.search, ${query})`;
  } else if (mode === 'fuzzy') {
    const words = searchWords(q, 3, 5);
    if (words.length === 0) {
      where.push('false');
      rank = '0::real';
    } else {
      const refs = words.map((w) => params.add(w));
      // one indexable `word <% name` per word; rank by how well all the words fit the name
      where.push(`(${refs.map((r) => `${r} <% lower(p.name)`).join(' OR ')})`);
      rank = `(${refs.map((r) => `word_similarity(${r}, lower(p.name))`).join(' + ')})::real`;
    }
  }
  return { where, rank };
}

function keyExpression(kind: KeyKind, rank: string | undefined): string {
  if (kind === 'seq') return 'p.seq';
  if (kind === 'price') return 'p.price_amount';
  return rank ?? '0::real';
}

const KEY_CASTS: Record<KeyKind, string> = { seq: '::bigint', price: '::bigint', rank: '::real' };

/** The page query: `columns` (ids by default) and sort keys of at most `limit` rows after `after`. */
function pageQuery(
  params: Params,
  filter: ListFilter,
  mode: MatchMode,
  ordering: Ordering,
  limit: number,
  after?: Keyset,
  select: { columns: string; from: string } = { columns: 'p.id', from: 'products p' },
): string {
  const { where, rank } = buildMatch(params, filter, mode);
  const exprs = ordering.keys.map((k) => keyExpression(k, rank));
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

function keysOf(row: Record<string, unknown>, count: number): Keyset {
  return Array.from({ length: count }, (_, i) => Number(row[`k${i}`]));
}

export function listingStore(sql: Sql) {
  return {
    /** Ids and sort keys of a page (the search cache keeps these, the rows are read fresh). */
    async pageIds(
      filter: ListFilter,
      mode: MatchMode,
      sort: SortOrder,
      limit: number,
      after?: Keyset,
    ): Promise<PageRow[]> {
      const params = new Params();
      const ordering = orderingFor(mode, sort);
      const rows = await sql.query<Record<string, unknown>>(
        pageQuery(params, filter, mode, ordering, limit, after),
        params.values,
      );
      return rows.map((r) => ({ id: String(r.id), keys: keysOf(r, ordering.keys.length) }));
    },

    /** Whole rows of a page in one round trip: images and stock are read for the page's rows only. */
    async page(
      filter: ListFilter,
      mode: MatchMode,
      sort: SortOrder,
      limit: number,
      after?: Keyset,
    ): Promise<Array<{ product: ProductRecord; keys: Keyset }>> {
      const params = new Params();
      const ordering = orderingFor(mode, sort);
      const dir = ordering.direction.toUpperCase();
      const keyColumns = ordering.keys.map((_, i) => `pg.k${i}`).join(', ');
      // a ranked page sorts every match, so whole rows are joined to the page's ids only; an index-ordered
      // page stops after `limit` rows and reads them whole in place
      const text = ordering.keys.includes('rank')
        ? `SELECT ${PRODUCT_COLUMNS}, ${keyColumns} FROM (${pageQuery(params, filter, mode, ordering, limit, after)}) pg
             JOIN products p ON p.id = pg.id LEFT JOIN stock s ON s.product_id = p.id
            ORDER BY ${ordering.keys.map((_, i) => `pg.k${i} ${dir}`).join(', ')}`
        : pageQuery(params, filter, mode, ordering, limit, after, { columns: PRODUCT_COLUMNS, from: PRODUCT_FROM });
      const rows = await sql.query<ProductRecord & Record<string, unknown>>(text, params.values);
      return rows.map((r) => ({ keys: keysOf(r, ordering.keys.length), product: normaliseProductRow(r) }));
    },

    /** Matches counted up to EXACT_COUNT_LIMIT + 1: a broad search never pays for a full count. */
    async cappedCount(filter: ListFilter, mode: MatchMode): Promise<number> {
      const params = new Params();
      const { where } = buildMatch(params, filter, mode);
      const [row] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM products p WHERE ${where.join(' AND ')}
           LIMIT ${EXACT_COUNT_LIMIT + 1}) c`,
        params.values,
      );
      return Number(row?.n ?? 0);
    },

    /** The planner's row estimate for the matches (from table statistics, no scan). */
    async estimate(filter: ListFilter, mode: MatchMode): Promise<number> {
      const params = new Params();
      const { where } = buildMatch(params, filter, mode);
      const rows = await sql.query<Record<string, unknown>>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM products p WHERE ${where.join(' AND ')}`,
        params.values,
      );
      const first = rows[0] ? Object.values(rows[0])[0] : undefined;
      const plan = (typeof first === 'string' ? JSON.parse(first) : first) as Array<{ Plan: { 'Plan Rows': number } }>;
      return Math.round(plan?.[0]?.Plan['Plan Rows'] ?? 0);
    },
  };
}
