import { describe, expect, it } from 'vitest';
import { fixtureVocabulary } from '../../test/fixtures/catalog.js';
import { isRefinement, pickShown, readState, refineSearch } from './conversation.js';
import { classify } from './intents.js';
import { parseQuery } from './query.js';

const vocab = fixtureVocabulary();
const usd = (amount: number) => ({ amount, currency: 'USD' });
const shown = [
  { id: 'a', name: 'A', price: usd(4500) },
  { id: 'b', name: 'B', price: usd(7900) },
  { id: 'c', name: 'C', price: usd(9900) },
];

describe('follow-ups', () => {
  const previous = { ...parseQuery('running shoes', vocab), page: 0 };

  it('"cheaper" bounds the price below the cheapest shown, "pricier" above the dearest', () => {
    expect(refineSearch(previous, shown, 'cheaper').maxPrice).toBe(4499);
    expect(refineSearch(previous, shown, 'pricier').minPrice).toBe(9901);
    expect(refineSearch(previous, shown, 'more').page).toBe(1);
  });

  it('"in blue?" keeps the search and adds the colour', () => {
    const adjust = parseQuery('in blue?', vocab);
    expect(isRefinement(adjust)).toBe(true);
    const next = refineSearch(previous, shown, undefined, adjust);
    expect(next).toMatchObject({ category: 'shoes', attributes: { color: 'blue' } });
  });

  it('a new kind of product is a new search, not a refinement', () => {
    expect(isRefinement(parseQuery('blue headphones', vocab))).toBe(false);
  });

  it('points at the products of the last answer', () => {
    expect(pickShown(shown, classify('the second one', { catalogSignal: false }))?.id).toBe('b');
    expect(pickShown(shown, classify('the last one', { catalogSignal: false }))?.id).toBe('c');
    expect(pickShown(shown, classify('add it to my cart', { catalogSignal: false }))).toBeUndefined();
    expect(pickShown(shown.slice(0, 1), classify('add it to my cart', { catalogSignal: false }))?.id).toBe('a');
  });

  it('reads stored state defensively', () => {
    expect(readState(null)).toEqual({ shown: [], turns: 0 });
    expect(readState({ shown: [{ id: 'x' }], pending: { type: 'other' } })).toEqual({ shown: [{ id: 'x' }], turns: 0 });
  });
});
