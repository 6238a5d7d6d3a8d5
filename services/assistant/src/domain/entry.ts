// A product prepared for matching: its row, its unit vector and its words by field, computed once.
import { attributeText, type CatalogItem } from './catalog.js';
import { STOPWORDS, stem, terms, words } from './text.js';

export interface IndexEntry {
  item: CatalogItem;
  vector: Float32Array;
  nameTerms: ReadonlySet<string>;
  /** category and attribute values */
  facetTerms: ReadonlySet<string>;
  descriptionTerms: ReadonlySet<string>;
  /** attribute key → its values, lower case */
  attributeValues: ReadonlyMap<string, ReadonlySet<string>>;
  /** the name's last word and last two words, stemmed: usually what the product is ("mug", "running shoe") */
  headPhrases: readonly string[];
}

export function indexEntry(item: CatalogItem, vector: Float32Array, categoryName?: string): IndexEntry {
  const attributeValues = new Map<string, Set<string>>();
  const facetWords: string[] = [];
  for (const [key, raw] of Object.entries(item.attributes)) {
    const values = Array.isArray(raw) ? raw : [String(raw)];
    attributeValues.set(key, new Set(values.map((v) => v.toLowerCase())));
    if (typeof raw !== 'boolean') facetWords.push(attributeText(raw));
    // what the product has says something too: keepsHot → "keeps hot", a true waterproof → "waterproof"
    if (raw !== false) facetWords.push(key.replace(/([a-z])([A-Z])/g, '$1 $2'));
  }
  if (item.category) facetWords.push(item.category.replace(/-/g, ' '));
  if (categoryName) facetWords.push(categoryName);
  return {
    item,
    vector,
    nameTerms: new Set(terms(item.name)),
    facetTerms: new Set(terms(facetWords.join(' '))),
    descriptionTerms: new Set(terms(item.description)),
    attributeValues,
    headPhrases: headPhrases(item.name),
  };
}

/** The last two alphabetic words of a product name, stemmed. */
export function headPhrases(name: string): string[] {
  const ws = words(name).filter((w) => /^[a-z]+$/.test(w) && !STOPWORDS.has(w));
  const last = ws.at(-1);
  if (!last) return [];
  const out = [stem(last)];
  const before = ws.at(-2);
  if (before) out.push(`${stem(before)} ${stem(last)}`);
  return out;
}
