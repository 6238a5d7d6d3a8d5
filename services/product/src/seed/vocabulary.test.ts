import { describe, expect, it } from 'vitest';
import { CATEGORIES } from './categories.js';
import { DEMO_PRODUCTS, demoProducts } from './demo.js';
import { type GeneratedProduct, generateProducts } from './generator.js';
import { ATTRIBUTE_KEYS, ATTRIBUTE_VALUES, COLORS } from './vocabulary.js';

// The demo catalog and the generated one speak the vocabulary the README documents, so the assistant can
// rely on it: the same keys, the same JSON types, closed values from the lists, brands of the category.
function vocabularyProblems(p: GeneratedProduct): string[] {
  const problems: string[] = [];
  const category = CATEGORIES.find((c) => c.slug === p.category);
  if (!category) return [`unknown category ${p.category}`];
  const { brand, color, material } = p.attributes;
  if (typeof brand !== 'string' || !category.brands.includes(brand)) problems.push(`brand ${brand}`);
  if (typeof color !== 'string' || !COLORS.includes(color as never)) problems.push(`color ${color}`);
  const type = category.types.find((t) => t.key === p.type);
  if (!type) return [...problems, `no product type ${p.type} in ${p.category}`];
  if (p.picture.icon !== type.icon || p.picture.color !== color) problems.push('picture does not show the product');
  if (material === undefined ? type.materials.length > 0 : !type.materials.includes(material as never)) {
    problems.push(`material ${material}`);
  }
  for (const [key, value] of Object.entries(p.attributes)) {
    const kind = ATTRIBUTE_KEYS[key as keyof typeof ATTRIBUTE_KEYS];
    if (!kind) problems.push(`undocumented key ${key}`);
    else if (typeof value !== kind) problems.push(`${key} is a ${typeof value}, documented as ${kind}`);
    const closed = ATTRIBUTE_VALUES[key as keyof typeof ATTRIBUTE_VALUES] as readonly unknown[] | undefined;
    if (closed && !closed.includes(value)) problems.push(`${key}: ${JSON.stringify(value)} is not in the vocabulary`);
    if (typeof value === 'string' && value !== value.trim()) problems.push(`${key} has spaces around it`);
  }
  if (!/^\S.*\S$/.test(p.name) || p.description.length < 40) problems.push('name or description too thin');
  if (!Number.isInteger(p.price) || p.price <= 0) problems.push(`price ${p.price}`);
  return problems.map((m) => `${p.name}: ${m}`);
}

const demo = demoProducts();
const dollars = (p: GeneratedProduct) => p.price / 100;
const where = (test: (p: GeneratedProduct) => boolean) => demo.filter(test);
const type = (p: GeneratedProduct, key: string) => p.type === key;

describe('the catalog vocabulary', () => {
  it('is spoken by every demo product', () => {
    expect(demo).toHaveLength(DEMO_PRODUCTS);
    expect(demo.flatMap(vocabularyProblems)).toEqual([]);
    expect(new Set(demo.map((p) => p.name)).size).toBe(demo.length);
    expect(new Set(demo.map((p) => p.category))).toEqual(new Set(CATEGORIES.map((c) => c.slug)));
  });

  it('is spoken by the generated catalog, with every category, colour and brand in use', () => {
    const generated = generateProducts(3000, { seed: 42 });
    expect(generated.flatMap(vocabularyProblems)).toEqual([]);
    expect(new Set(generated.map((p) => p.category)).size).toBe(CATEGORIES.length);
    expect(new Set(generated.map((p) => p.attributes.color)).size).toBe(COLORS.length);
    expect(new Set(generated.map((p) => p.attributes.brand)).size).toBe(CATEGORIES.flatMap((c) => c.brands).length);
    // the same product for the same seed and index, batch or not
    expect(generateProducts(5, { seed: 42, from: 100 })).toEqual(generated.slice(100, 105));
  });

  it('names no product type twice and draws every type with an icon', () => {
    const keys = CATEGORIES.flatMap((c) => c.types.map((t) => t.key));
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of CATEGORIES) for (const t of c.types) expect(t.icon, t.key).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('the demo catalog answers what shoppers ask', () => {
  it('red running shoes under $50, and running shoes in several colours and prices', () => {
    const running = where((p) => p.attributes.activity === 'running' && p.category === 'shoes');
    expect(running.filter((p) => p.attributes.color === 'red' && dollars(p) < 50).length).toBeGreaterThanOrEqual(1);
    expect(running.filter((p) => p.attributes.color === 'red' && dollars(p) >= 50).length).toBeGreaterThanOrEqual(1);
    expect(new Set(running.map((p) => p.attributes.color)).size).toBeGreaterThanOrEqual(3);
    // "sneakers for jogging": running shoes that never use either word
    expect(running.filter((p) => !/sneaker|jog/i.test(`${p.name} ${p.description}`)).length).toBeGreaterThanOrEqual(3);
  });

  it('cheapest wireless headphones: several prices, and a cheaper wired pair to skip', () => {
    const headphones = where((p) => type(p, 'headphones') || type(p, 'earbuds'));
    const wireless = headphones.filter((p) => p.attributes.connectivity === 'wireless').map(dollars);
    expect(new Set(wireless).size).toBeGreaterThanOrEqual(4);
    const wired = headphones.filter((p) => p.attributes.connectivity === 'wired').map(dollars);
    expect(Math.min(...wired)).toBeLessThan(Math.min(...wireless));
  });

  it('quiet mechanical keyboards for the office, beside loud ones', () => {
    const keyboards = where((p) => type(p, 'keyboard'));
    expect(keyboards.filter((p) => p.attributes.switch === 'silent').length).toBeGreaterThanOrEqual(2);
    expect(keyboards.filter((p) => p.attributes.switch === 'clicky').length).toBeGreaterThanOrEqual(1);
  });

  it('something to keep tea hot, and gifts for coffee lovers across categories', () => {
    const keepsHot = where((p) => p.attributes.insulated === true && typeof p.attributes.keepsHot === 'string');
    expect(keepsHot.length).toBeGreaterThanOrEqual(2);
    expect(where((p) => type(p, 'teapot') || type(p, 'kettle')).length).toBeGreaterThanOrEqual(2);
    const coffee = where((p) => /coffee|espresso|barista|latte|brew/i.test(`${p.name} ${p.description}`));
    expect(new Set(coffee.map((p) => p.category)).size).toBeGreaterThanOrEqual(3);
    expect(coffee.length).toBeGreaterThanOrEqual(6);
  });

  it('has stock states to show: plenty, only a few left, sold out', () => {
    expect(where((p) => p.stock === 0).length).toBeGreaterThanOrEqual(1);
    expect(where((p) => p.stock > 0 && p.stock <= 5).length).toBeGreaterThanOrEqual(2);
    expect(where((p) => p.stock > 20).length).toBeGreaterThan(demo.length / 2);
  });
});
