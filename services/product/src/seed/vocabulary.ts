// The catalog's vocabulary: categories, product types, invented brands and the attribute keys and values
// every seeded product uses (documented in services/product/README.md; the assistant filters on them).

/** Attribute values of seeded products: strings (lower-case, units spelt out), a few numbers and booleans. */
export type SeedAttributes = Record<string, string | number | boolean>;
export type Picker = <T>(items: readonly T[]) => T;

/** Colour names (the `color` attribute) and the hex the pictures are tinted with. */
export const COLOR_HEX = {
  black: '#2f3034',
  white: '#eeeeea',
  grey: '#8b9096',
  silver: '#b9bfc6',
  red: '#d1363a',
  navy: '#24386b',
  blue: '#2f78d0',
  teal: '#16958f',
  green: '#3d9448',
  olive: '#7b7d38',
  yellow: '#f0bd2b',
  orange: '#ec7a2a',
  pink: '#e8759f',
  purple: '#7b50bd',
  brown: '#87573a',
  beige: '#d8c4a0',
} as const;
export type ColorName = keyof typeof COLOR_HEX;
export const COLORS = Object.keys(COLOR_HEX) as ColorName[];

export const NEUTRAL: readonly ColorName[] = ['black', 'white', 'grey', 'navy', 'beige'];
export const BRIGHT: readonly ColorName[] = ['red', 'blue', 'teal', 'green', 'yellow', 'orange', 'pink', 'purple'];
export const METAL: readonly ColorName[] = ['black', 'silver', 'grey', 'white'];
export const EARTHY: readonly ColorName[] = ['brown', 'beige', 'olive', 'green', 'black', 'grey'];

/** Every `material` value (lower-case). */
export const MATERIALS = [
  'mesh',
  'knit',
  'leather',
  'suede',
  'canvas',
  'rubber',
  'cotton',
  'organic cotton',
  'merino wool',
  'wool',
  'linen',
  'polyester',
  'recycled polyester',
  'nylon',
  'fleece',
  'plastic',
  'recycled plastic',
  'aluminum',
  'stainless steel',
  'cast iron',
  'carbon steel',
  'ceramic',
  'stoneware',
  'porcelain',
  'glass',
  'borosilicate glass',
  'bamboo',
  'oak',
  'walnut',
  'beech',
  'cork',
  'silicone',
  'paper',
  'foam',
  'natural rubber',
  'plush',
] as const;
export type Material = (typeof MATERIALS)[number];

/** Values of the closed attributes: a product's value is always one of these. */
export const ATTRIBUTE_VALUES = {
  color: COLORS,
  material: MATERIALS,
  audience: ['men', 'women', 'unisex', 'kids'],
  activity: ['running', 'trail running', 'walking', 'hiking', 'casual', 'training', 'yoga', 'cycling', 'football'],
  connectivity: ['wireless', 'wired'],
  fit: ['over-ear', 'on-ear', 'in-ear'],
  switch: ['silent', 'linear', 'tactile', 'clicky', 'membrane'],
  layout: ['full-size', 'tenkeyless', '75%', '60%'],
  roast: ['light', 'medium', 'dark'],
  form: ['whole bean', 'ground', 'loose leaf', 'tea bags'],
  tea: ['green', 'black', 'oolong', 'herbal', 'white'],
  power: ['electric', 'manual', 'stovetop', 'battery', 'mains'],
  season: ['3-season', '4-season'],
  pet: ['dog', 'cat'],
  ruling: ['dotted', 'lined', 'plain', 'grid'],
  format: ['hardcover', 'paperback', 'A5', 'A6'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Every attribute key a seeded product may carry, with its JSON type: `brand`, `color` always, `material`
 * on everything made of something, the others where they fit (see services/product/README.md).
 */
export const ATTRIBUTE_KEYS = {
  brand: 'string',
  color: 'string',
  material: 'string',
  size: 'string',
  audience: 'string',
  activity: 'string',
  waterproof: 'boolean',
  capacity: 'string',
  connectivity: 'string',
  fit: 'string',
  noiseCancelling: 'boolean',
  batteryLife: 'string',
  power: 'string',
  switch: 'string',
  layout: 'string',
  resolution: 'string',
  screenSize: 'string',
  roast: 'string',
  form: 'string',
  origin: 'string',
  weight: 'string',
  tea: 'string',
  insulated: 'boolean',
  keepsHot: 'string',
  dishwasherSafe: 'boolean',
  burnTime: 'string',
  thickness: 'string',
  season: 'string',
  magnification: 'string',
  pieces: 'number',
  age: 'string',
  players: 'string',
  pet: 'string',
  ruling: 'string',
  format: 'string',
  pages: 'number',
} as const satisfies Record<string, 'string' | 'number' | 'boolean'>;

/** Sizes (the `size` attribute, a string): letters for clothing, EU numbers for shoes. */
export const CLOTHING_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'] as const;
export const SHOE_SIZES = ['36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46'] as const;

/** A kind of product: the noun in its name, the icon its pictures draw, and what it is made of. */
export interface ProductType {
  key: string;
  /** singular, as in a product name: "Running Shoe" */
  noun: string;
  /** a Tabler icon name (or one of ours in icons.ts) */
  icon: string;
  /** whole currency units */
  price: readonly [number, number];
  /** empty for what has no material to speak of (coffee, tea) */
  materials: readonly Material[];
  colors: readonly ColorName[];
  /** model words for generated names */
  models: readonly string[];
  /** what it is for, one sentence each; {color} {material} {noun} {brand} are filled in */
  pitch: readonly string[];
  /** the type's own attributes for a generated product */
  attributes?: (pick: Picker) => SeedAttributes;
}

export interface CategorySpec {
  slug: string;
  name: string;
  description: string;
  /** invented brands (no real company's trademark) */
  brands: readonly string[];
  /** the picture of the category: three of its product types' icons, and its colour */
  picture: { icons: readonly [string, string, string]; color: ColorName };
  types: readonly ProductType[];
}
