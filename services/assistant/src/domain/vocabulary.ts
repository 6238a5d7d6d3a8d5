// The catalog's own words: categories, the attribute values worth filtering on, and every known term.
import type { CategoryInfo } from './catalog.js';
import type { IndexEntry } from './entry.js';
import { editDistance, STOPWORDS, terms, typoBudget, words } from './text.js';

export interface AttributeCandidate {
  key: string;
  /** the value as the catalog spells it */
  value: string;
  /** products carrying it */
  count: number;
}

export interface Vocabulary {
  categories: Map<string, CategoryInfo>;
  /** a term or phrase (stems joined by spaces) naming a category: "shoe", "running shoe", "headphone" */
  categoryByPhrase: Map<string, string>;
  /** attribute phrases (stems joined by spaces) → the keys and values they name */
  valuesByPhrase: Map<string, AttributeCandidate[]>;
  /** words that say what a product is: the last word of product names ("mug", "sneaker") */
  kinds: Set<string>;
  /** keys whose values are filters (few distinct short strings), e.g. color, material, brand, size */
  facetKeys: Set<string>;
  /** how many words the longest phrase has */
  maxPhraseWords: number;
  /** documents containing each term (names, categories, attributes, descriptions) */
  df: Map<string, number>;
  /** terms of names, categories and attributes: the words that show a message is about the catalog */
  shopTerms: Set<string>;
  /** each term's products and where the term is: 1 name, 0.7 category or attributes, 0.35 description */
  postings: Map<string, { ids: string[]; weights: number[] }>;
  /** longer name words ending in a word ("smartwatch" for "watch"), worked out once per word */
  compounds: Map<string, string[]>;
  docs: number;
  /** known terms by first letter, for typo correction */
  byInitial: Map<string, string[]>;
  /** corrections already worked out (null: none) */
  corrected: Map<string, string | null>;
}

const MAX_FACET_VALUES = 400;
const MAX_VALUE_WORDS = 4;
/** a head noun names a category when this share of the products it names are in that category */
const HINT_SHARE = 0.8;

function phraseOf(text: string): string {
  return terms(text).join(' ');
}

function isFacetValue(value: string): boolean {
  const n = words(value).length;
  return n > 0 && n <= MAX_VALUE_WORDS && value.length <= 60;
}

export function buildVocabulary(entries: Iterable<IndexEntry>, categoryList: Iterable<CategoryInfo>): Vocabulary {
  const categories = new Map<string, CategoryInfo>();
  for (const c of categoryList) categories.set(c.slug, c);

  const df = new Map<string, number>();
  const valueCounts = new Map<string, Map<string, number>>();
  const keyItems = new Map<string, number>();
  const headCounts = new Map<string, Map<string, number>>();
  const flags = new Map<string, number>();
  const shopTerms = new Set<string>();
  const postings = new Map<string, { ids: string[]; weights: number[] }>();
  const kinds = new Set<string>();
  let docs = 0;

  for (const entry of entries) {
    const item = entry.item;
    if (item.status !== 'active') continue;
    docs++;
    if (item.category && !categories.has(item.category)) {
      categories.set(item.category, { slug: item.category, name: item.category.replace(/-/g, ' ') });
    }
    const seen = new Set<string>([...entry.nameTerms, ...entry.facetTerms, ...entry.descriptionTerms]);
    for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
    for (const t of entry.nameTerms) shopTerms.add(t);
    for (const t of entry.facetTerms) shopTerms.add(t);
    for (const t of seen) {
      const weight = entry.nameTerms.has(t) ? 1 : entry.facetTerms.has(t) ? 0.7 : 0.35;
      let list = postings.get(t);
      if (!list) {
        list = { ids: [], weights: [] };
        postings.set(t, list);
      }
      list.ids.push(item.id);
      list.weights.push(weight);
    }

    for (const [key, raw] of Object.entries(item.attributes)) {
      if (typeof raw === 'boolean') {
        // a yes/no fact is named by its key: waterproof, insulated, noiseCancelling → "noise cancelling"
        if (raw) flags.set(key, (flags.get(key) ?? 0) + 1);
        continue;
      }
      const values = Array.isArray(raw) ? raw : typeof raw === 'string' || typeof raw === 'number' ? [String(raw)] : [];
      if (values.length === 0) continue;
      keyItems.set(key, (keyItems.get(key) ?? 0) + 1);
      let counts = valueCounts.get(key);
      if (!counts) {
        counts = new Map();
        valueCounts.set(key, counts);
      }
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    }

    if (item.category) {
      const last = entry.headPhrases[0];
      if (last) kinds.add(last);
      for (const phrase of entry.headPhrases) {
        let byCategory = headCounts.get(phrase);
        if (!byCategory) {
          byCategory = new Map();
          headCounts.set(phrase, byCategory);
        }
        byCategory.set(item.category, (byCategory.get(item.category) ?? 0) + 1);
      }
    }
  }

  // facets: keys with a modest number of distinct, short values
  const facetKeys = new Set<string>();
  const valuesByPhrase = new Map<string, AttributeCandidate[]>();
  for (const [key, counts] of valueCounts) {
    if (counts.size > MAX_FACET_VALUES) continue;
    const values = [...counts.keys()];
    if (!values.every(isFacetValue)) continue;
    // a key nearly every product has a different value of is an identifier, not a facet
    if (counts.size > 20 && counts.size > 0.5 * (keyItems.get(key) ?? 0)) continue;
    facetKeys.add(key);
    for (const [value, count] of counts) {
      const phrase = phraseOf(value);
      if (!phrase) continue;
      const list = valuesByPhrase.get(phrase) ?? [];
      list.push({ key, value, count });
      valuesByPhrase.set(phrase, list);
    }
  }

  for (const [key, count] of flags) {
    const phrase = phraseOf(key.replace(/([a-z])([A-Z])/g, '$1 $2'));
    if (!phrase) continue;
    facetKeys.add(key);
    const list = valuesByPhrase.get(phrase) ?? [];
    list.push({ key, value: 'true', count });
    valuesByPhrase.set(phrase, list);
  }

  // categories named by their slug, their name, the words of their description list, and head nouns
  const categoryByPhrase = new Map<string, string>();
  const ambiguous = new Set<string>();
  const claim = (phrase: string, slug: string) => {
    if (!phrase || ambiguous.has(phrase)) return;
    const current = categoryByPhrase.get(phrase);
    if (current && current !== slug) {
      categoryByPhrase.delete(phrase);
      ambiguous.add(phrase);
      return;
    }
    categoryByPhrase.set(phrase, slug);
  };
  for (const c of categories.values()) {
    claim(phraseOf(c.slug.replace(/-/g, ' ')), c.slug);
    claim(phraseOf(c.name), c.slug);
    for (const w of terms(c.name)) if (!STOPWORDS.has(w) && w.length > 2) claim(w, c.slug);
    for (const w of terms(c.slug.replace(/-/g, ' '))) if (!STOPWORDS.has(w) && w.length > 2) claim(w, c.slug);
  }
  // the plural nouns of a category's description ("Running shoes, trail runners, everyday sneakers and
  // boots"), where no other category uses them: weaker than names, so claimed only where free
  const described = new Map<string, Set<string>>();
  for (const c of categories.values()) {
    for (const w of words(c.description ?? '')) {
      if (w.length < 4 || !/[^s]s$/.test(w) || STOPWORDS.has(w)) continue;
      const t = terms(w)[0];
      if (!t || valuesByPhrase.has(t)) continue;
      const owners = described.get(t) ?? new Set<string>();
      owners.add(c.slug);
      described.set(t, owners);
    }
  }
  const described1 = [...described].filter(([, owners]) => owners.size === 1);
  for (const [phrase, byCategory] of headCounts) {
    let total = 0;
    let best: [string, number] = ['', 0];
    for (const [slug, n] of byCategory) {
      total += n;
      if (n > best[1]) best = [slug, n];
    }
    if (best[1] >= 1 && best[1] / total >= HINT_SHARE && !categoryByPhrase.has(phrase) && !ambiguous.has(phrase)) {
      // an attribute value ("steel", "wool sweater" → wool) is never part of a category hint
      if (!phrase.split(' ').some((w) => valuesByPhrase.has(w))) categoryByPhrase.set(phrase, best[0]);
    }
  }

  for (const [t, owners] of described1) {
    if (!categoryByPhrase.has(t) && !ambiguous.has(t)) categoryByPhrase.set(t, [...owners][0] as string);
  }

  let maxPhraseWords = 1;
  for (const phrase of [...valuesByPhrase.keys(), ...categoryByPhrase.keys()]) {
    maxPhraseWords = Math.max(maxPhraseWords, phrase.split(' ').length);
  }

  const byInitial = new Map<string, string[]>();
  const known = new Set<string>([...df.keys(), ...categoryByPhrase.keys(), ...valuesByPhrase.keys()]);
  for (const t of known) {
    if (t.includes(' ') || !/^[a-z]{3,}$/.test(t)) continue;
    const list = byInitial.get(t[0] as string) ?? [];
    list.push(t);
    byInitial.set(t[0] as string, list);
  }

  return {
    categories,
    categoryByPhrase,
    valuesByPhrase,
    kinds,
    facetKeys,
    maxPhraseWords,
    df,
    shopTerms,
    postings,
    compounds: new Map(),
    docs,
    byInitial,
    corrected: new Map(),
  };
}

export function isKnown(vocab: Vocabulary, term: string): boolean {
  return vocab.df.has(term) || vocab.categoryByPhrase.has(term) || vocab.valuesByPhrase.has(term);
}

/**
 * The known term nearest to an unknown word within its typo budget (ties: the more common term), or
 * undefined. Candidates share the first letter or are a swap of the first two letters away.
 */
export function correct(vocab: Vocabulary, term: string): string | undefined {
  const known = vocab.corrected.get(term);
  if (known !== undefined) return known ?? undefined;
  const found = nearestTerm(vocab, term);
  if (vocab.corrected.size > 10_000) vocab.corrected.clear();
  vocab.corrected.set(term, found ?? null);
  return found;
}

function nearestTerm(vocab: Vocabulary, term: string): string | undefined {
  const budget = typoBudget(term);
  if (budget === 0 || !/^[a-z]+$/.test(term)) return undefined;
  const initials = new Set([term[0] as string, term[1] as string]);
  let best: string | undefined;
  let bestDistance = budget + 1;
  let bestDf = -1;
  for (const initial of initials) {
    for (const candidate of vocab.byInitial.get(initial) ?? []) {
      if (Math.abs(candidate.length - term.length) > budget) continue;
      const d = editDistance(term, candidate, Math.min(budget, bestDistance));
      if (d > budget) continue;
      const f = vocab.df.get(candidate) ?? 0;
      if (d < bestDistance || (d === bestDistance && f > bestDf)) {
        best = candidate;
        bestDistance = d;
        bestDf = f;
      }
    }
  }
  return best;
}
