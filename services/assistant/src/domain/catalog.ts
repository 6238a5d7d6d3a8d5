// The assistant's picture of a product (its read model row) and the text the embedder sees.
import { fold } from './text.js';

export interface Money {
  amount: number;
  currency: string;
}

export type AttributeValue = string | number | boolean | string[];

export interface CatalogItem {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string | null;
  attributes: Record<string, AttributeValue>;
  price: Money;
  /** available units; 0 = sold out */
  stock: number;
  /** active | archived */
  status: string;
  sellerId: string;
  /** a thumbnail URL when the product has a picture */
  image?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface CategoryInfo {
  slug: string;
  name: string;
  description?: string;
}

/** A product as shown in an answer. */
export interface ProductCard {
  id: string;
  slug: string;
  name: string;
  price: Money;
  image?: string;
  reason?: string;
}

export function isBuyable(item: Pick<CatalogItem, 'status' | 'stock'>): boolean {
  return item.status === 'active' && item.stock > 0;
}

export function toCard(item: CatalogItem, reason?: string): ProductCard {
  return {
    id: item.id,
    slug: item.slug,
    name: item.name,
    price: { ...item.price },
    ...(item.image ? { image: item.image } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** Attribute values as text: `['red', 'blue']` and `true` read as words; numbers as digits. */
export function attributeText(value: AttributeValue): string {
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** Attributes matched exactly by the query parser, so the embedding text leaves them out. */
const EXACT_KEYS = new Set(['brand', 'color', 'colour', 'material', 'finish']);
/** Attributes that say nothing about what a product is for. */
const PLAIN_KEYS = new Set([...EXACT_KEYS, 'size', 'audience', 'sku', 'model']);

/**
 * What a product's attributes say it does, in a few words: a yes ("waterproof", "noise cancelling"),
 * a word value ("running", "wireless", "silent"), or for a measure the name of what is measured
 * ("keeps hot", "battery life"). Products of one kind share these, so texts still repeat.
 */
export function featureWords(attributes: CatalogItem['attributes']): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (PLAIN_KEYS.has(key)) continue;
    const named = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    if (value === true) out.push(named);
    else if (typeof value === 'string' && value.length <= 24) out.push(/\d/.test(value) ? named : value.toLowerCase());
    else if (typeof value === 'number') out.push(named);
  }
  return out.join(', ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the embedding model reads for a product: its name without the brand, colour and material
 * (the parser matches those exactly), its category's name, and optionally the start of its
 * description. Short on purpose: the model's cost grows with every token, and products differing
 * only in colour or brand share one text, so their vector is computed once.
 */
export function embeddingText(
  item: Pick<CatalogItem, 'name' | 'category' | 'description' | 'attributes'>,
  opts: { categoryName?: string | undefined; descriptionWords?: number } = {},
): string {
  let name = ` ${item.name} `;
  for (const [key, value] of Object.entries(item.attributes)) {
    if (!EXACT_KEYS.has(key.toLowerCase()) || typeof value !== 'string' || !value.trim()) continue;
    const stripped = name.replace(new RegExp(`(^|\\W)${escapeRegExp(value.trim())}(?=\\W|$)`, 'gi'), '$1');
    if (/[a-z]/i.test(stripped)) name = stripped;
  }
  name = name.replace(/\s+/g, ' ').trim();
  const description = fold(item.description)
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, opts.descriptionWords ?? 0)
    .join(' ');
  const category = opts.categoryName ?? item.category ?? '';
  return [name, category.toLowerCase(), featureWords(item.attributes), description].filter(Boolean).join('. ');
}
