// A realistic, reproducible generated catalog from the vocabulary: shop-like names and descriptions,
// invented brands, and the same attribute keys and values as the demo catalog. No I/O.
import { CATEGORIES, catalogCategories } from './categories.js';
import {
  type CategorySpec,
  COLOR_HEX,
  type ColorName,
  type Picker,
  type ProductType,
  type SeedAttributes,
} from './vocabulary.js';

export { BRANDS, CATEGORIES } from './categories.js';
export { COLORS, MATERIALS } from './vocabulary.js';

export interface GeneratedProduct {
  name: string;
  description: string;
  /** minor units */
  price: number;
  currency: string;
  category: string;
  /** the product type's key (vocabulary.ts) */
  type: string;
  attributes: SeedAttributes;
  stock: number;
  /** what its pictures show: the product type's icon, in the product's colour */
  picture: { icon: string; color: ColorName; hex: string };
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words in front of some generated names; "Ergonomic" heads about 1 name in 25 (the catalog bench searches it).
export const ADJECTIVES = [
  'Classic',
  'Everyday',
  'Essential',
  'Pro',
  'Lite',
  'Signature',
  'Ergonomic',
  'Compact',
  'Premium',
  'Eco',
  'Deluxe',
  'Original',
];

// about one feature line in ten mentions ergonomics, as real shop copy does
const FEATURES = [
  'Built to last for years of daily use',
  'Designed for comfort during long sessions',
  'Ergonomic details make it a pleasure to use every day',
  'Finished by hand in small batches',
  'Light enough to carry anywhere',
  'Easy to clean and quick to set up',
  'Made from responsibly sourced materials',
  'Tested to survive drops, spills and travel',
  'A minimalist look that suits any room',
  'Backed by a two-year warranty',
  'Packed in plastic-free recyclable packaging',
  'Ready to use straight out of the box',
  'Compact enough for small spaces',
  'A favourite gift for friends and family',
  'Engineered with precision and care',
  'Soft-touch details and rounded edges',
  'Made to match the rest of the collection',
];

const CLOSINGS = [
  'Free returns within 30 days.',
  'Ships in two business days.',
  'Limited stock: order while it lasts.',
  'Pairs well with the rest of the range.',
  'Care instructions are included in the box.',
  'Rated highly by our customers.',
];

/** The categories with shop-facing names and a one-line description. */
export function generatedCategories(): Array<{ slug: string; name: string; description: string }> {
  return catalogCategories();
}

/**
 * Products `from .. from+count-1` of the catalog made from `seed`; product i is always the same
 * for the same seed, so a catalog can be generated in batches.
 */
export function generateProducts(count: number, opts: { seed?: number; from?: number } = {}): GeneratedProduct[] {
  const seed = opts.seed ?? 42;
  const from = opts.from ?? 0;
  const out: GeneratedProduct[] = [];
  for (let i = from; i < from + count; i++) out.push(generateProduct(seed, i));
  return out;
}

/** Fills {color} {material} {noun} {brand} in a line of copy. */
export function fillCopy(line: string, values: Record<string, string>): string {
  return line.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '');
}

function generateProduct(seed: number, index: number): GeneratedProduct {
  const random = randomSource((seed * 1_000_003 + index * 7919) >>> 0);
  const pick: Picker = (items) => items[Math.floor(random() * items.length)] as (typeof items)[number];
  const category = CATEGORIES[index % CATEGORIES.length] as CategorySpec;
  const type: ProductType = pick(category.types);
  const brand = pick(category.brands);
  const model = pick(type.models);
  const color = pick(type.colors);
  const material = type.materials.length ? pick(type.materials) : undefined;
  const name = random() < 0.45 ? `${pick(ADJECTIVES)} ${model} ${type.noun}` : `${model} ${type.noun}`;
  const [low, high] = type.price;
  // prices cluster at the low end of the range, as in real catalogs, and end in .99 or .49
  const units = Math.floor(low + (high - low) * random() ** 2.2);
  const price = units * 100 + (random() < 0.7 ? 99 : 49);
  const values = { color, material: material ?? '', noun: type.noun.toLowerCase(), brand };
  const description = [
    fillCopy(pick(type.pitch), values),
    `By ${brand}, in ${color}${material ? ` ${material}` : ''}.`,
    `${pick(FEATURES)}.`,
    pick(CLOSINGS),
  ].join(' ');
  const stock = random() < 0.08 ? 0 : Math.floor(random() * 250) + 1;
  return {
    name,
    description,
    price,
    currency: 'USD',
    category: category.slug,
    type: type.key,
    attributes: {
      brand,
      color,
      ...(material ? { material } : {}),
      ...(type.attributes ? type.attributes(pick) : {}),
    },
    stock,
    picture: { icon: type.icon, color, hex: COLOR_HEX[color] },
  };
}
