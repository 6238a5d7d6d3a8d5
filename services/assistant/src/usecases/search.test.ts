import { describe, expect, it } from 'vitest';
import { FIXTURE_CATEGORIES, fixtureEntries } from '../../test/fixtures/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import { indexEntry } from '../domain/entry.js';
import { buildVocabulary, type Vocabulary } from '../domain/vocabulary.js';
import type { CatalogIndex } from './catalog-index.js';
import { createSearch } from './search.js';

const embedder: Embedder = {
  model: 'none',
  dimensions: 8,
  embed: async (texts) => texts.map(() => new Float32Array(8)),
  close: async () => {},
};

describe('the search cache', () => {
  it('never answers from a vocabulary that has been rebuilt since (a new colour becomes a filter)', async () => {
    const before = fixtureEntries();
    const mug = before.find((e) => e.item.name === 'Ceramic Coffee Mug');
    const teal = indexEntry(
      { ...(mug as NonNullable<typeof mug>).item, id: 'teal-mug', attributes: { color: 'teal' } },
      new Float32Array(8),
    );
    const after = [...before, teal];
    // the product arrived (version unchanged for the test), the vocabulary is rebuilt only later
    let vocab: Vocabulary = buildVocabulary(before, FIXTURE_CATEGORIES);
    const index = {
      version: 1,
      entries: () => after,
      fresh: () => new Set<string>(),
      vocabulary: () => vocab,
    } as unknown as CatalogIndex;
    const search = createSearch({ index, embedder });
    const stale = await search.run('teal mug', { limit: 5 });
    expect(stale.interpreted.attributes).toBeUndefined();
    expect((await search.run('teal mug', { limit: 5 })).interpreted.attributes).toBeUndefined();

    vocab = buildVocabulary(after, FIXTURE_CATEGORIES);
    const fresh = await search.run('teal mug', { limit: 5 });
    expect(fresh.interpreted.attributes).toEqual({ color: 'teal' });
    expect(fresh.items.map((i) => i.id)).toEqual(['teal-mug']);
  });
});

describe("a chat turn's search", () => {
  it('is cached like words are: the same interpreted query pays the model and the ranking once per catalog version', async () => {
    let embedded = 0;
    const counting: Embedder = {
      ...embedder,
      embed: async (texts) => {
        embedded++;
        return texts.map(() => new Float32Array(8));
      },
    };
    const entries = fixtureEntries();
    const vocab = buildVocabulary(entries, FIXTURE_CATEGORIES);
    const index = { version: 1, entries: () => entries, fresh: () => new Set<string>(), vocabulary: () => vocab };
    const search = createSearch({ index: index as unknown as CatalogIndex, embedder: counting });
    const query = { ...search.parse('red running shoes'), page: 0 };
    const first = await search.run(query, { limit: 5 });
    const again = await search.run({ ...query }, { limit: 5 });
    expect(again).toBe(first);
    expect(embedded).toBe(1);
    index.version = 2;
    await search.run(query, { limit: 5 });
    expect(embedded).toBe(2);
  });
});
