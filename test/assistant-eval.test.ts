// The assistant's evaluation (`npm run eval:assistant`) can only mean something if its judge is right and
// its cases have answers in the demo catalog: the judge on hand-made products, and every case against the
// demo catalog the product service seeds (so an edit of either that empties a case fails here, not silently
// in the printed figures). Lives beside the platform tests: it reads two services' sources.
import { demoProducts } from '@microbazaar/product/seed/demo';
import { describe, expect, it } from 'vitest';
import { INTENT_CASES, SEARCH_CASES, type SearchCase } from '../services/assistant/eval/cases.js';
import { isRelevant, type JudgedProduct, precisionAt } from '../services/assistant/eval/judge.js';

const product = (over: Partial<JudgedProduct> & { name: string }): JudgedProduct => ({
  id: over.name,
  category: 'shoes',
  attributes: {},
  price: { amount: 1000 },
  ...over,
});

const redRunner = product({
  name: 'Tempo Road Runner',
  attributes: { color: 'red', activity: 'running', waterproof: false },
  price: { amount: 4499 },
});
const blueBoot = product({
  name: 'Ridge Hiker',
  attributes: { color: 'Blue', waterproof: true },
  price: { amount: 12_000 },
});
const mug = product({ name: 'Diner Coffee Mug', category: 'kitchen', attributes: { color: 'white' } });

describe('the judge', () => {
  it('needs every field of a judge to hold: category, attributes, price bounds (inclusive)', () => {
    const c: SearchCase = {
      q: 'red running shoes under $45',
      relevant: { category: 'shoes', attributes: { color: 'red' }, maxPrice: 4499 },
    };
    expect(isRelevant(redRunner, c)).toBe(true);
    expect(isRelevant({ ...redRunner, price: { amount: 4500 } }, c)).toBe(false);
    expect(isRelevant({ ...redRunner, category: 'sports' }, c)).toBe(false);
    expect(isRelevant(blueBoot, c)).toBe(false);
    expect(isRelevant(redRunner, { q: 'x', relevant: { minPrice: 4499 } })).toBe(true);
    expect(isRelevant(redRunner, { q: 'x', relevant: { minPrice: 4500 } })).toBe(false);
  });

  it('reads values case-blind, yes/no attributes as booleans, "*" as "has the key", lists as "one of"', () => {
    expect(isRelevant(blueBoot, { q: 'x', relevant: { attributes: { color: 'blue' } } })).toBe(true);
    expect(isRelevant(blueBoot, { q: 'x', relevant: { attributes: { waterproof: true } } })).toBe(true);
    expect(isRelevant(redRunner, { q: 'x', relevant: { attributes: { waterproof: true } } })).toBe(false);
    // a missing yes/no attribute is not a yes
    expect(isRelevant(mug, { q: 'x', relevant: { attributes: { waterproof: false } } })).toBe(false);
    expect(isRelevant(redRunner, { q: 'x', relevant: { attributes: { activity: '*' } } })).toBe(true);
    expect(isRelevant(blueBoot, { q: 'x', relevant: { attributes: { activity: '*' } } })).toBe(false);
    expect(isRelevant(mug, { q: 'x', relevant: { attributes: { color: ['black', 'white'] } } })).toBe(true);
    expect(isRelevant(mug, { q: 'x', relevant: { category: ['kitchen', 'coffee-tea'] } })).toBe(true);
  });

  it('names only where asked, and any of several judges will do', () => {
    const c: SearchCase = { q: 'coffee gift', relevant: [{ category: 'coffee-tea' }, { name: 'coffee|espresso' }] };
    expect(isRelevant(mug, c)).toBe(true);
    expect(isRelevant(redRunner, c)).toBe(false);
    expect(isRelevant(mug, { q: 'x', relevant: { category: 'kitchen', notName: 'mug' } })).toBe(false);
  });

  it('precision@k counts missing places as wrong; the attainable share divides by what the catalog has', () => {
    const c: SearchCase = { q: 'red shoes', relevant: { attributes: { color: 'red' } } };
    // one right answer out of two given, the catalog has one red product
    expect(precisionAt(5, [blueBoot, redRunner], c, 1)).toEqual({ hits: 1, precision: 0.2, attainable: 1 });
    // the right answer past the fifth place does not count
    const late = [blueBoot, mug, blueBoot, mug, blueBoot, redRunner];
    expect(precisionAt(5, late, c, 1)).toEqual({ hits: 0, precision: 0, attainable: 0 });
    expect(precisionAt(5, [redRunner, redRunner, mug], c, 10)).toEqual({ hits: 2, precision: 0.4, attainable: 0.4 });
    // nothing relevant in the catalog: nothing attainable
    expect(precisionAt(5, [mug], c, 0).attainable).toBe(0);
  });
});

describe('the evaluation set', () => {
  const catalog: JudgedProduct[] = demoProducts().map((p) => ({
    id: p.name,
    name: p.name,
    category: p.category,
    attributes: p.attributes,
    price: { amount: p.price },
  }));

  it('has at least 40 searches and 40 chat lines, every intent among the lines', () => {
    expect(SEARCH_CASES.length).toBeGreaterThanOrEqual(40);
    expect(INTENT_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(SEARCH_CASES.map((c) => c.q)).size).toBe(SEARCH_CASES.length);
    expect(new Set(INTENT_CASES.map((c) => c.intent))).toEqual(
      new Set([
        'product_search',
        'recommendation',
        'order_status',
        'cancel_order',
        'faq',
        'handoff',
        'greeting',
        'unknown',
      ]),
    );
  });

  it.each(SEARCH_CASES.map((c) => [c.q, c] as const))(
    '"%s" has right answers in the demo catalog, and not most of it',
    (_q, c) => {
      const relevant = catalog.filter((p) => isRelevant(p, c));
      expect(relevant.length).toBeGreaterThan(0);
      // a judge that calls a third of the shop relevant measures nothing
      expect(relevant.length).toBeLessThan(catalog.length / 3);
    },
  );
});
