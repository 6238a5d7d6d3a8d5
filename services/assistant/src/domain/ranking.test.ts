import { describe, expect, it } from 'vitest';
import { FIXTURE_CATEGORIES, fixtureEntries } from '../../test/fixtures/catalog.js';
import { type IndexEntry, indexEntry } from './entry.js';
import { parseQuery } from './query.js';
import { rank, topIndices } from './ranking.js';
import { buildVocabulary } from './vocabulary.js';

describe('topIndices', () => {
  it('keeps the k highest scores, ties at the cut included', () => {
    const scores = Float64Array.from([0.1, 0.9, 0.5, 0.7, 0.3, 0.7, 0.2]);
    expect(topIndices(scores, 3).sort()).toEqual([1, 3, 5]);
    expect(topIndices(scores, 2).sort()).toEqual([1, 3, 5]);
    expect(topIndices(scores, 10)).toHaveLength(7);
  });

  it('agrees with a full sort on random scores', () => {
    const scores = Float64Array.from(
      { length: 5000 },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453),
    );
    const best = [...scores.keys()].sort((a, b) => (scores[b] as number) - (scores[a] as number)).slice(0, 100);
    expect(topIndices(scores, 100).sort((a, b) => a - b)).toEqual(best.sort((a, b) => a - b));
  });
});

describe('rank of a product changed since the vocabulary was built', () => {
  it('matches it by its own words when it is marked fresh', () => {
    const entries = fixtureEntries();
    const vocab = buildVocabulary(entries, FIXTURE_CATEGORIES);
    const mug = entries.find((e) => e.item.name === 'Ceramic Coffee Mug') as IndexEntry;
    const renamed = indexEntry({ ...mug.item, name: 'Zanzibar Coffee Mug' }, mug.vector);
    const now = entries.map((e) => (e === mug ? renamed : e));
    const query = parseQuery('zanzibar', vocab);
    const stale = rank(now, query, vocab, { limit: 3 });
    expect(stale.items.find((r) => r.entry.item.id === mug.item.id)?.lexical ?? 0).toBe(0);
    const fresh = rank(now, query, vocab, { limit: 3, fresh: new Set([mug.item.id]) });
    expect(fresh.items[0]?.entry.item.name).toBe('Zanzibar Coffee Mug');
    expect(fresh.items[0]?.lexical).toBeGreaterThan(0);
  });
});
