// Plain words → filters (category, price bounds, attribute values, sort) and the words left for meaning.
import { STOPWORDS, stem, terms, words } from './text.js';
import { correct, isKnown, type Vocabulary } from './vocabulary.js';

export type Sort = 'relevance' | 'price_asc' | 'price_desc' | 'newest';

export interface ParsedQuery {
  /** the words as given */
  text: string;
  /** what the embedding model reads: the text without price and sort phrases */
  semanticText: string;
  /** content terms (stemmed, typos corrected) for lexical scoring, filter words included */
  terms: string[];
  category?: string;
  /** the content terms a filter consumed (category, attribute and excluded values) */
  filterTerms: string[];
  /** words naming a kind of product ("sneaker", "mug") other than the category's own name */
  kinds: string[];
  /** inclusive bounds in minor units */
  minPrice?: number;
  maxPrice?: number;
  /** catalog attribute key → value as the catalog spells it */
  attributes: Record<string, string>;
  /** values the customer ruled out ("not leather", "without plastic") */
  exclude: Record<string, string[]>;
  sort?: Sort;
  /** words read as another catalog word: [{from: 'hedphones', to: 'headphone'}] */
  corrections: Array<{ from: string; to: string }>;
}

const NUMBER = String.raw`(\d{1,7}(?:[.,]\d{1,2})?)\s*(k)?`;
const CURRENCY_BEFORE = String.raw`(?:\$|usd\s*|us\$)?\s*`;
const CURRENCY_AFTER = String.raw`\s*(?:\$|usd|dollars?|bucks?)?`;
const PRICE = `${CURRENCY_BEFORE}${NUMBER}${CURRENCY_AFTER}`;

interface PricePattern {
  re: RegExp;
  apply(a: number, b?: number): { min?: number; max?: number };
}

const PRICE_PATTERNS: PricePattern[] = [
  {
    re: new RegExp(String.raw`\bbetween\s+${PRICE}\s+(?:and|to|-)\s+${PRICE}`, 'i'),
    apply: (a, b = a) => ({ min: Math.min(a, b), max: Math.max(a, b) }),
  },
  {
    re: new RegExp(String.raw`\bfrom\s+${PRICE}\s+(?:to|-)\s+${PRICE}`, 'i'),
    apply: (a, b = a) => ({ min: Math.min(a, b), max: Math.max(a, b) }),
  },
  {
    re: new RegExp(String.raw`(?:^|\s)\$\s*${NUMBER}\s*(?:-|to)\s*\$?\s*${NUMBER}${CURRENCY_AFTER}`, 'i'),
    apply: (a, b = a) => ({ min: Math.min(a, b), max: Math.max(a, b) }),
  },
  {
    re: new RegExp(
      String.raw`\b(?:under|below|less\s+than|cheaper\s+than|lower\s+than|beneath|within|sub|<)\s*${PRICE}`,
      'i',
    ),
    apply: (a) => ({ max: Math.max(0, a - 1) }),
  },
  {
    re: new RegExp(
      String.raw`\b(?:up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than|not\s+more\s+than|budget\s+(?:of|is)?|for\s+at\s+most)\s*${PRICE}`,
      'i',
    ),
    apply: (a) => ({ max: a }),
  },
  {
    re: new RegExp(
      String.raw`\b(?:over|above|more\s+than|pricier\s+than|higher\s+than|greater\s+than|>)\s*${PRICE}`,
      'i',
    ),
    apply: (a) => ({ min: a + 1 }),
  },
  {
    re: new RegExp(String.raw`\b(?:at\s+least|min(?:imum)?|starting\s+(?:at|from)|from)\s*${PRICE}`, 'i'),
    apply: (a) => ({ min: a }),
  },
  {
    re: new RegExp(String.raw`\b(?:around|about|roughly|approximately|approx|~)\s*${PRICE}`, 'i'),
    apply: (a) => ({ min: Math.round(a * 0.8), max: Math.round(a * 1.2) }),
  },
  // a bare "$40" or "40 dollars": about that much
  {
    re: new RegExp(String.raw`(?:\$\s*${NUMBER}\b|\b${NUMBER}\s*(?:usd|dollars?|bucks?)\b)`, 'i'),
    apply: (a) => ({ min: Math.round(a * 0.8), max: Math.round(a * 1.2) }),
  },
];

const SORT_PATTERNS: Array<[RegExp, Sort]> = [
  [
    /\b(?:cheapest|least\s+expensive|lowest[-\s]price(?:d)?|lowest\s+cost|most\s+affordable|cheap(?:er)?|budget|affordable|inexpensive|bargain)\b/i,
    'price_asc',
  ],
  [
    /\b(?:most\s+expensive|priciest|highest[-\s]price(?:d)?|premium|luxury|luxurious|high[-\s]end|top[-\s]of[-\s]the[-\s]line)\b/i,
    'price_desc',
  ],
  [/\b(?:newest|latest|most\s+recent|new\s+arrivals?|just\s+arrived|recently\s+added|brand\s+new)\b/i, 'newest'],
];

const NEGATIONS = new Set(['not', 'no', 'without', 'non', 'except', 'excluding', 'but']);

function minorUnits(text: string, thousands: string | undefined): number {
  const value = Number(text.replace(',', '.')) * (thousands ? 1000 : 1);
  return Math.round(value * 100);
}

/** Finds price phrases, returns the bounds and the text without them. */
export function parsePrice(text: string): { min?: number; max?: number; rest: string } {
  let rest = text;
  let min: number | undefined;
  let max: number | undefined;
  for (const pattern of PRICE_PATTERNS) {
    const m = pattern.re.exec(rest);
    if (!m) continue;
    const numbers: number[] = [];
    for (let i = 1; i < m.length; i += 2) {
      const n = m[i];
      if (n !== undefined) numbers.push(minorUnits(n, m[i + 1]));
    }
    if (numbers.length === 0) continue;
    const bounds = pattern.apply(numbers[0] as number, numbers[1]);
    if (bounds.min !== undefined && min === undefined) min = bounds.min;
    if (bounds.max !== undefined && max === undefined) max = bounds.max;
    rest = `${rest.slice(0, m.index)} ${rest.slice(m.index + m[0].length)}`;
  }
  if (min !== undefined && max !== undefined && min > max) [min, max] = [max, min];
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }), rest };
}

/** Sort words ("cheapest", "newest"...): the sort and the text without them. */
export function parseSort(text: string): { sort?: Sort; rest: string } {
  for (const [re, sort] of SORT_PATTERNS) {
    const m = re.exec(text);
    if (m) return { sort, rest: `${text.slice(0, m.index)} ${text.slice(m.index + m[0].length)}` };
  }
  return { rest: text };
}

interface Token {
  word: string;
  term: string;
  /** consumed by a filter */
  used: boolean;
  negated: boolean;
}

function keyWords(key: string): string {
  return terms(key.replace(/([a-z])([A-Z])/g, '$1 $2')).join(' ');
}

/**
 * The attribute a phrase names. A key named beside it decides ("green tea": tea, not colour); short
 * or numeric values ("M", "42", "1000") count only beside their key ("size 42", "1000 pieces").
 */
function pickCandidate(vocab: Vocabulary, phrase: string, neighbours: ReadonlyArray<string | undefined>) {
  const candidates = vocab.valuesByPhrase.get(phrase);
  if (!candidates?.length) return undefined;
  const near = new Set(neighbours.filter((w): w is string => w !== undefined).map(stem));
  const besideKey = (c: { key: string }) => near.has(keyWords(c.key));
  const eligible = candidates.filter((c) => {
    const shortValue = c.value.length < 3 || /^\d+$/.test(c.value.trim());
    return !shortValue || besideKey(c);
  });
  if (eligible.length === 0) return undefined;
  const named = eligible.filter(besideKey);
  return (named.length ? named : eligible).reduce((a, b) => (b.count > a.count ? b : a));
}

/**
 * Reads a shopping request: price phrases and sort words first (from the raw text), then the
 * longest known phrases left to right (an attribute value, a category name or a head noun), with
 * typos corrected against the catalog's words. What is left is kept for lexical and semantic matching.
 */
export function parseQuery(text: string, vocab: Vocabulary): ParsedQuery {
  const original = text.trim();
  const price = parsePrice(original);
  const sorted = parseSort(price.rest);
  const semanticText = sorted.rest.replace(/\s+/g, ' ').trim();

  const corrections: Array<{ from: string; to: string }> = [];
  const tokens: Token[] = words(sorted.rest).map((word) => {
    let term = stem(word);
    if (!STOPWORDS.has(word) && !STOPWORDS.has(term) && !isKnown(vocab, term) && /^[a-z]+$/.test(word)) {
      // the word as typed first ("wireles" → wireless), then its stem ("hedphones" → headphone)
      const fixed = correct(vocab, word) ?? correct(vocab, term);
      if (fixed && fixed !== term) {
        corrections.push({ from: word, to: fixed });
        term = fixed;
      }
    }
    return { word, term, used: false, negated: false };
  });

  const attributes: Record<string, string> = {};
  const exclude: Record<string, string[]> = {};
  let category: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    if ((tokens[i] as Token).used) continue;
    for (let n = Math.min(vocab.maxPhraseWords, tokens.length - i); n >= 1; n--) {
      const span = tokens.slice(i, i + n);
      if (span.some((t) => t.used)) continue;
      const phrase = span.map((t) => t.term).join(' ');
      const preceding = tokens[i - 1]?.word;
      const negated = preceding !== undefined && NEGATIONS.has(preceding);
      const value = pickCandidate(vocab, phrase, [preceding, tokens[i + n]?.word]);
      const slug = vocab.categoryByPhrase.get(phrase);
      // a category named outright wins over a value sharing its words; a value wins over a head noun
      if (value && !(slug && n === 1 && vocab.categories.has(slug) && phraseIsCategoryName(vocab, phrase, slug))) {
        if (negated) exclude[value.key] = [...(exclude[value.key] ?? []), value.value];
        else if (attributes[value.key] === undefined) attributes[value.key] = value.value;
        for (const t of span) {
          t.used = true;
          t.negated = negated;
        }
        i += n - 1;
        break;
      }
      if (slug && !negated) {
        category ??= slug;
        for (const t of span) t.used = true;
        i += n - 1;
        break;
      }
    }
  }

  const contentTerms = tokens
    .filter((t) => !t.negated && !STOPWORDS.has(t.word) && !STOPWORDS.has(t.term) && !NEGATIONS.has(t.word))
    .map((t) => t.term);

  const filterTerms = tokens.filter((t) => t.used).map((t) => t.term);
  const categoryWords = new Set(category ? terms(category.replace(/-/g, ' ')) : []);
  const kinds = contentTerms.filter((t) => vocab.kinds.has(t) && !categoryWords.has(t));

  return {
    text: original,
    semanticText: semanticText || original,
    terms: [...new Set(contentTerms)],
    filterTerms: [...new Set(filterTerms)],
    kinds: [...new Set(kinds)],
    ...(category ? { category } : {}),
    ...(price.min === undefined ? {} : { minPrice: price.min }),
    ...(price.max === undefined ? {} : { maxPrice: price.max }),
    attributes,
    exclude,
    ...(sorted.sort ? { sort: sorted.sort } : {}),
    corrections,
  };
}

function phraseIsCategoryName(vocab: Vocabulary, phrase: string, slug: string): boolean {
  const info = vocab.categories.get(slug);
  if (!info) return false;
  return words(info.slug.replace(/-/g, ' ')).map(stem).join(' ') === phrase;
}

/** True when the query asks for nothing in particular beyond its filters. */
export function hasFilters(q: ParsedQuery): boolean {
  return (
    q.category !== undefined ||
    q.minPrice !== undefined ||
    q.maxPrice !== undefined ||
    Object.keys(q.attributes).length > 0 ||
    Object.keys(q.exclude).length > 0
  );
}
