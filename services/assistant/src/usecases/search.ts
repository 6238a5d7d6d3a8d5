// Natural-language product search: parse, embed the words left for meaning, rank the in-memory index.
import type { Embedder } from '../adapters/embedder.js';
import { type ProductCard, toCard } from '../domain/catalog.js';
import { type ParsedQuery, parseQuery, type Sort } from '../domain/query.js';
import { type Ranked, rank, reasonFor } from '../domain/ranking.js';
import type { Vocabulary } from '../domain/vocabulary.js';
import type { CatalogIndex } from './catalog-index.js';

export interface Interpreted {
  text: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  attributes?: Record<string, string>;
  sort?: Sort;
}

export interface SearchResult {
  items: ProductCard[];
  interpreted: Interpreted;
  query: ParsedQuery;
  ranked: Ranked[];
  /** filters dropped because nothing matched them all */
  relaxed: string[];
}

export interface Search {
  /** Reads `text`, or runs an already interpreted query (a follow-up in a conversation). */
  run(
    input: string | ParsedQuery,
    opts: { limit: number; page?: number; excludeIds?: ReadonlySet<string> },
  ): Promise<SearchResult>;
  parse(text: string): ParsedQuery;
}

export function interpretedOf(q: ParsedQuery): Interpreted {
  return {
    text: q.text,
    ...(q.category ? { category: q.category } : {}),
    ...(q.minPrice !== undefined ? { minPrice: q.minPrice } : {}),
    ...(q.maxPrice !== undefined ? { maxPrice: q.maxPrice } : {}),
    ...(Object.keys(q.attributes).length ? { attributes: q.attributes } : {}),
    ...(q.sort ? { sort: q.sort } : {}),
  };
}

export function createSearch(deps: { index: CatalogIndex; embedder: Embedder; cacheEntries?: number }): Search {
  const { index, embedder } = deps;
  const cache = new Map<string, SearchResult>();
  const cacheEntries = deps.cacheEntries ?? 2000;
  // results read with one vocabulary: a rebuilt one (new filter words) may read the same words otherwise
  let cacheVocabulary: Vocabulary | undefined;

  async function run(
    input: string | ParsedQuery,
    opts: { limit: number; page?: number; excludeIds?: ReadonlySet<string> },
  ): Promise<SearchResult> {
    const page = opts.page ?? 0;
    const vocab = index.vocabulary();
    if (vocab !== cacheVocabulary) {
      cache.clear();
      cacheVocabulary = vocab;
    }
    // a chat turn searches with an interpreted query (its memory applied): cached the same way as words
    const what = typeof input === 'string' ? `t:${input.trim().toLowerCase()}` : `q:${JSON.stringify(input)}`;
    const key = opts.excludeIds ? undefined : `${index.version}|${opts.limit}|${page}|${what}`;
    const hit = key ? cache.get(key) : undefined;
    if (hit) return hit;

    const query = typeof input === 'string' ? parseQuery(input, vocab) : input;
    const semantic = query.semanticText.trim();
    const [vector] = semantic ? await embedder.embed([semantic.toLowerCase()]) : [undefined];
    const ranked = rank(index.entries(), query, vocab, {
      fresh: index.fresh(),
      limit: opts.limit * (page + 1),
      vector,
      ...(opts.excludeIds ? { excludeIds: opts.excludeIds } : {}),
    });
    const items = ranked.items.slice(opts.limit * page);
    const result: SearchResult = {
      items: items.map((r) => toCard(r.entry.item, reasonFor(r, query))),
      interpreted: interpretedOf(query),
      query,
      ranked: items,
      relaxed: ranked.relaxed,
    };
    if (key) {
      cache.set(key, result);
      if (cache.size > cacheEntries) cache.delete(cache.keys().next().value as string);
    }
    return result;
  }

  return { run, parse: (text) => parseQuery(text, index.vocabulary()) };
}
