// Ranking: hard filters from the parsed query, then meaning (cosine) and words (weighted term match) together.
import type { IndexEntry } from './entry.js';
import type { ParsedQuery, Sort } from './query.js';
import { terms } from './text.js';
import { dot } from './vectors.js';
import type { Vocabulary } from './vocabulary.js';

export interface Ranked {
  entry: IndexEntry;
  score: number;
  semantic: number;
  lexical: number;
}

export interface RankOptions {
  /** products changed since the vocabulary was built: scored from their own words, not its postings */
  fresh?: ReadonlySet<string> | undefined;
  limit: number;
  /** the query's unit vector; absent when the query has no words left to mean anything */
  vector?: Float32Array | undefined;
  /** products never to return (the product itself, for "similar") */
  excludeIds?: ReadonlySet<string>;
  /** share of meaning vs words (default 0.6) */
  semanticWeight?: number;
}

export interface RankResult {
  items: Ranked[];
  /** attribute filters dropped because nothing matched them all */
  relaxed: string[];
}

const FIELD_WEIGHT = { name: 1, facet: 0.7, compound: 0.5, description: 0.35 };

// compound: "watch" in "smartwatch", "ball" in "football", the end of a longer word of the name

/** Inverse document frequency, smoothed: rare words weigh more. */
function idf(vocab: Vocabulary, term: string): number {
  const df = vocab.df.get(term) ?? 0;
  return Math.log(1 + (vocab.docs - df + 0.5) / (df + 0.5));
}

/**
 * How well each product's words cover the query's: IDF-weighted share of the query words found, a word
 * in the name counting 1, in the category or attributes 0.7, as the end of a longer name word 0.5
 * ("watch" in "smartwatch"), in the description 0.35. Read from the vocabulary's postings, so a
 * query costs the products its words appear in, not the catalog.
 */
export function lexicalScores(
  queryTerms: readonly string[],
  vocab: Vocabulary,
): { scores: Map<string, number>; direct(entry: IndexEntry): number } {
  const scores = new Map<string, number>();
  let total = 0;
  const weights: number[] = [];
  const compoundsOf: string[][] = [];
  for (const t of queryTerms) {
    const w = Math.max(idf(vocab, t), 0.1);
    total += w;
    weights.push(w);
    const best = new Map<string, number>();
    const exact = vocab.postings.get(t);
    if (exact) for (let i = 0; i < exact.ids.length; i++) best.set(exact.ids[i] as string, exact.weights[i] as number);
    if (t.length >= 4) {
      let longer = vocab.compounds.get(t);
      if (!longer) {
        longer = [...vocab.shopTerms].filter((word) => word.length >= t.length + 3 && word.endsWith(t));
        if (vocab.compounds.size > 10_000) vocab.compounds.clear();
        vocab.compounds.set(t, longer);
      }
      compoundsOf.push(longer);
      for (const word of longer) {
        const list = vocab.postings.get(word);
        if (!list) continue;
        for (let i = 0; i < list.ids.length; i++) {
          if ((list.weights[i] as number) < 1) continue;
          const id = list.ids[i] as string;
          if ((best.get(id) ?? 0) < FIELD_WEIGHT.compound) best.set(id, FIELD_WEIGHT.compound);
        }
      }
    } else {
      compoundsOf.push([]);
    }
    for (const [id, fw] of best) scores.set(id, (scores.get(id) ?? 0) + w * fw);
  }
  if (total > 0) for (const [id, s] of scores) scores.set(id, s / total);
  // a product changed since the vocabulary was built is scored from its own words
  const direct = (entry: IndexEntry) => {
    if (total === 0) return 0;
    let matched = 0;
    queryTerms.forEach((t, i) => {
      const w = weights[i] as number;
      if (entry.nameTerms.has(t)) matched += w * FIELD_WEIGHT.name;
      else if (entry.facetTerms.has(t)) matched += w * FIELD_WEIGHT.facet;
      else if ((compoundsOf[i] as string[]).some((c) => entry.nameTerms.has(c))) matched += w * FIELD_WEIGHT.compound;
      else if (entry.descriptionTerms.has(t)) matched += w * FIELD_WEIGHT.description;
    });
    return matched / total;
  };
  return { scores, direct };
}

interface Filters {
  category?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  attributes: Record<string, string>;
  exclude: Record<string, string[]>;
}

function passes(entry: IndexEntry, f: Filters, excludeIds: ReadonlySet<string> | undefined): boolean {
  const item = entry.item;
  if (item.status !== 'active') return false;
  if (excludeIds?.has(item.id)) return false;
  if (f.category !== undefined && item.category !== f.category) return false;
  if (f.minPrice !== undefined && item.price.amount < f.minPrice) return false;
  if (f.maxPrice !== undefined && item.price.amount > f.maxPrice) return false;
  for (const [key, value] of Object.entries(f.attributes)) {
    if (!entry.attributeValues.get(key)?.has(value.toLowerCase())) return false;
  }
  for (const [key, values] of Object.entries(f.exclude)) {
    const have = entry.attributeValues.get(key);
    if (have && values.some((v) => have.has(v.toLowerCase()))) return false;
  }
  return true;
}

/** The order of a sort among products judged equally relevant. */
function compareBy(sort: Sort | undefined): (a: Ranked, b: Ranked) => number {
  switch (sort) {
    case 'price_asc':
      return (a, b) => a.entry.item.price.amount - b.entry.item.price.amount || b.score - a.score;
    case 'price_desc':
      return (a, b) => b.entry.item.price.amount - a.entry.item.price.amount || b.score - a.score;
    case 'newest':
      return (a, b) => b.entry.item.createdAt.localeCompare(a.entry.item.createdAt) || b.score - a.score;
    default:
      return (a, b) => b.score - a.score || b.entry.item.createdAt.localeCompare(a.entry.item.createdAt);
  }
}

const KIND_BONUS = 0.15;
const CATEGORY_BONUS = 0.12;

/** How far below the best score a product may be and still count as relevant when another sort orders them. */
const RELEVANT_SHARE = 0.75;
const RELEVANT_WINDOW = 100;

/**
 * Ranks the entries that pass the query's filters; when none pass, drops attribute filters (the
 * rarest first), never the category or the price bounds. In-stock products come before
 * sold-out ones of the same relevance. A sort other than relevance orders the products near the best score.
 */
export function rank(
  entries: Iterable<IndexEntry>,
  query: ParsedQuery,
  vocab: Vocabulary,
  opts: RankOptions,
): RankResult {
  const list = Array.isArray(entries) ? (entries as IndexEntry[]) : [...entries];
  // a category is a filter when the words are only filters ("red shoes under $50", "headphones"); next to
  // other words ("make smoothies at home", "camera for video calls") it only weighs in the score
  const categoryIsFilter = query.category !== undefined && query.terms.every((t) => query.filterTerms.includes(t));
  const filters: Filters = {
    category: categoryIsFilter ? query.category : undefined,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    attributes: { ...query.attributes },
    exclude: query.exclude,
  };
  const relaxed: string[] = [];
  let candidates = list.filter((e) => passes(e, filters, opts.excludeIds));
  const dropOrder = Object.keys(filters.attributes).sort(
    (a, b) => valueCount(vocab, a, filters.attributes[a]) - valueCount(vocab, b, filters.attributes[b]),
  );
  // a kind of product asked for ("walnut desk") that no filtered product is: drop attribute filters first
  const hasKind = (e: IndexEntry) => query.kinds.some((k) => e.nameTerms.has(k));
  if (candidates.length > 0 && query.kinds.length > 0 && !candidates.some(hasKind) && dropOrder.length > 0) {
    const attributes = { ...filters.attributes };
    const dropped: string[] = [];
    for (const key of dropOrder) {
      delete attributes[key];
      dropped.push(key);
      const wider = list.filter((e) => passes(e, { ...filters, attributes }, opts.excludeIds));
      if (wider.some(hasKind)) {
        filters.attributes = attributes;
        relaxed.push(...dropped);
        dropOrder.splice(0, dropped.length);
        candidates = wider;
        break;
      }
    }
  }
  while (candidates.length === 0 && dropOrder.length > 0) {
    const key = dropOrder.shift() as string;
    delete filters.attributes[key];
    relaxed.push(key);
    candidates = list.filter((e) => passes(e, filters, opts.excludeIds));
  }

  // filter words matched already; score on the rest, plus the filter words when filters were relaxed
  const queryTerms = query.terms.length ? query.terms : [];
  const weight = opts.vector ? (opts.semanticWeight ?? 0.6) : 0;
  const lexicalTerms = lexicalScores(queryTerms, vocab);
  // products sharing a text share a vector object: one cosine each
  const cosines = new Map<Float32Array, number>();
  const semantics = new Float64Array(candidates.length);
  const lexicals = new Float64Array(candidates.length);
  const scores = new Float64Array(candidates.length);
  candidates.forEach((entry, i) => {
    let semantic = 0;
    if (opts.vector) {
      const known = cosines.get(entry.vector);
      semantic = known ?? dot(opts.vector, entry.vector);
      if (known === undefined) cosines.set(entry.vector, semantic);
    }
    const lexical = opts.fresh?.has(entry.item.id)
      ? lexicalTerms.direct(entry)
      : (lexicalTerms.scores.get(entry.item.id) ?? 0);
    // "desk" asks for desks: a desk lamp mentions one but is a lamp
    const kind = query.kinds.length > 0 && query.kinds.includes(entry.headPhrases[0] ?? '') ? KIND_BONUS : 0;
    const category = query.category !== undefined && entry.item.category === query.category ? CATEGORY_BONUS : 0;
    semantics[i] = semantic;
    lexicals[i] = lexical;
    scores[i] = weight * semantic + (1 - weight) * lexical + kind + category;
  });
  const meaningful = opts.vector !== undefined || queryTerms.length > 0;
  // only the best few can make the answer: the rest is never sorted
  const keep = meaningful ? topIndices(scores, Math.max(opts.limit, RELEVANT_WINDOW) * 2) : [...scores.keys()];
  const scored: Ranked[] = keep.map((i) => ({
    entry: candidates[i] as IndexEntry,
    semantic: semantics[i] as number,
    lexical: lexicals[i] as number,
    score: scores[i] as number,
  }));

  const inStockFirst = (cmp: (a: Ranked, b: Ranked) => number) => (a: Ranked, b: Ranked) =>
    Number(b.entry.item.stock > 0) - Number(a.entry.item.stock > 0) || cmp(a, b);

  let ordered: Ranked[];
  if (query.sort && query.sort !== 'relevance' && meaningful) {
    const byScore = [...scored].sort(compareBy('relevance'));
    const best = byScore[0]?.score ?? 0;
    const relevant = byScore.slice(0, RELEVANT_WINDOW).filter((r) => r.score >= best * RELEVANT_SHARE);
    ordered = relevant.sort(inStockFirst(compareBy(query.sort)));
  } else if (!meaningful) {
    ordered = scored.sort(inStockFirst(compareBy(query.sort ?? 'newest')));
  } else {
    // sold out after in stock among the products that answer the question, not after every weak match
    const best = scored.reduce((m, r) => Math.max(m, r.score), 0);
    const tier = (r: Ranked) => (r.score >= best * RELEVANT_SHARE ? 0 : 1);
    const byRelevance = inStockFirst(compareBy('relevance'));
    ordered = scored.sort((a, b) => tier(a) - tier(b) || byRelevance(a, b));
  }
  return { items: ordered.slice(0, opts.limit), relaxed };
}

function valueCount(vocab: Vocabulary, key: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const candidates = vocab.valuesByPhrase.get(terms(value).join(' ')) ?? [];
  return candidates.find((c) => c.key === key)?.count ?? 0;
}

/** Why a product is in the answer, in a few words: what it matched. */
export function reasonFor(r: Ranked, query: ParsedQuery): string | undefined {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query.attributes)) {
    if (r.entry.attributeValues.get(key)?.has(value.toLowerCase())) parts.push(`${key}: ${value}`);
  }
  const named = query.terms.filter((t) => r.entry.nameTerms.has(t) && !parts.some((p) => p.includes(t)));
  if (parts.length === 0 && named.length === 0 && r.semantic > 0.3) return 'close in meaning to what you asked';
  if (named.length) parts.unshift(`matches "${named.slice(0, 3).join(' ')}"`);
  if (r.entry.item.stock === 0) parts.push('sold out');
  return parts.length ? parts.join(', ') : undefined;
}

/** Indices of the k highest scores (ties at the cut included), in no particular order. */
export function topIndices(scores: Float64Array, k: number): number[] {
  const n = scores.length;
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const copy = Float64Array.from(scores);
  // quickselect for the k-th largest value
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = copy[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((copy[i] as number) > pivot) i++;
      while ((copy[j] as number) < pivot) j--;
      if (i <= j) {
        const t = copy[i] as number;
        copy[i] = copy[j] as number;
        copy[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  const cut = copy[target] as number;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if ((scores[i] as number) >= cut) out.push(i);
  return out;
}
