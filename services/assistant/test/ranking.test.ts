// Ranking on a small fixed catalog with the real embedding model: filters, meaning, words, sorts, relaxing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUseLiteEmbedder, type Embedder } from '../src/adapters/embedder.js';
import { embeddingText } from '../src/domain/catalog.js';
import type { IndexEntry } from '../src/domain/entry.js';
import { parseQuery } from '../src/domain/query.js';
import { rank } from '../src/domain/ranking.js';
import { buildVocabulary, type Vocabulary } from '../src/domain/vocabulary.js';
import { FIXTURE_CATEGORIES, fixtureEntries, fixtureItems } from './fixtures/catalog.js';

let embedder: Embedder;
let entries: IndexEntry[];
let vocab: Vocabulary;

beforeAll(async () => {
  embedder = await createUseLiteEmbedder();
  const items = fixtureItems();
  const names = new Map(FIXTURE_CATEGORIES.map((c) => [c.slug, c.name]));
  const vectors = await embedder.embed(
    items.map((i) => embeddingText(i, { categoryName: names.get(i.category ?? '') })),
    { priority: 'bulk' },
  );
  entries = fixtureEntries(new Map(items.map((item, i) => [item.id, vectors[i] as Float32Array])));
  vocab = buildVocabulary(entries, FIXTURE_CATEGORIES);
});

afterAll(async () => {
  await embedder?.close();
});

async function search(text: string, limit = 5) {
  const query = parseQuery(text, vocab);
  const [vector] = await embedder.embed([query.semanticText]);
  const result = rank(entries, query, vocab, { limit, vector });
  return { ...result, names: result.items.map((r) => r.entry.item.name), query };
}

describe('rank', () => {
  it('applies colour, category and price filters, in-stock before sold out, never archived', async () => {
    const { items, names } = await search('red running shoes under $50');
    expect(names).toEqual(['Trailblazer Running Shoes', 'Scarlet Road Racers']);
    expect(items.map((r) => r.entry.item.stock > 0)).toEqual([true, false]);
    expect(names).not.toContain('Retired Red Runners');
  });

  it('finds running shoes for "sneakers for jogging" though they never say sneakers', async () => {
    const { names } = await search('sneakers for jogging', 3);
    expect(names.some((n) => /Running Shoes|Trail Runners/.test(n))).toBe(true);
  });

  it('finds a thermal mug for "something to keep my tea hot"', async () => {
    const { names } = await search('something to keep my tea hot', 2);
    expect(names).toContain('Insulated Travel Mug');
  });

  it('puts the quiet keyboard first for a quiet office keyboard', async () => {
    const { names } = await search('quiet mechanical keyboard for the office');
    expect(names[0]).toBe('Silent Mechanical Keyboard');
  });

  it('orders relevant products by price for "cheapest"', async () => {
    const { items } = await search('cheapest wireless headphones');
    const prices = items.map((r) => r.entry.item.price.amount);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(items.every((r) => r.entry.item.attributes.connectivity === 'wireless')).toBe(true);
    expect(items.map((r) => r.entry.item.name)).toContain('Wireless Over-Ear Headphones');
  });

  it('reads through typos and plurals', async () => {
    const { names } = await search('studio hedphones');
    expect(names[0]).toBe('Studio Monitor Headphones');
  });

  it('drops an attribute no product of the asked kind has, never the price bound', async () => {
    const desk = await search('leather desk');
    expect(desk.relaxed).toEqual(['material']);
    expect(desk.names[0]).toBe('Oak Standing Desk');
    const cheap = await search('desk under $10');
    expect(cheap.names).toEqual([]);
  });

  it('never returns excluded ids (the product itself, for similar products)', async () => {
    const query = parseQuery('running shoes', vocab);
    const [vector] = await embedder.embed([query.semanticText]);
    const first = rank(entries, query, vocab, { limit: 3, vector }).items[0]?.entry.item.id as string;
    const again = rank(entries, query, vocab, { limit: 10, vector, excludeIds: new Set([first]) });
    expect(again.items.map((r) => r.entry.item.id)).not.toContain(first);
  });
});
