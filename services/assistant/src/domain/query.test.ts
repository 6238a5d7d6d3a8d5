import { describe, expect, it } from 'vitest';
import { fixtureVocabulary } from '../../test/fixtures/catalog.js';
import { type ParsedQuery, parsePrice, parseQuery, parseSort } from './query.js';

const vocab = fixtureVocabulary();

type Expected = Partial<Pick<ParsedQuery, 'category' | 'minPrice' | 'maxPrice' | 'sort' | 'attributes' | 'exclude'>>;

describe('parseQuery', () => {
  const cases: Array<[string, Expected]> = [
    ['red running shoes under $50', { category: 'shoes', maxPrice: 4999, attributes: { color: 'red' } }],
    ['cheapest wireless headphones', { sort: 'price_asc', attributes: { connectivity: 'wireless' } }],
    ['quiet mechanical keyboard for the office', { attributes: {} }],
    ['something to keep my tea hot', { attributes: {} }],
    ['sneakers for jogging', { category: 'shoes' }],
    [
      'blue shoes between 40 and 80 dollars',
      { category: 'shoes', minPrice: 4000, maxPrice: 8000, attributes: { color: 'blue' } },
    ],
    ['shoes $40-$80', { category: 'shoes', minPrice: 4000, maxPrice: 8000 }],
    ['headphones over 100', { minPrice: 10001 }],
    ['headphones up to 100 dollars', { maxPrice: 10000 }],
    ['a mug around $20', { minPrice: 1600, maxPrice: 2400 }],
    [
      'leather boots not black',
      { category: 'shoes', attributes: { material: 'leather' }, exclude: { color: ['black'] } },
    ],
    ['hedphones by sonora', { attributes: { brand: 'Sonora' } }],
    ['grey wool sweaters', { category: 'clothing', attributes: { color: 'grey', material: 'wool' } }],
    ['newest kitchen stuff', { category: 'kitchen', sort: 'newest' }],
    ['most expensive desk', { category: 'home-office', sort: 'price_desc' }],
    ['red t-shirt size m', { category: 'clothing', attributes: { color: 'red', size: 'M' } }],
    ['size 42 running shoes', { category: 'shoes', attributes: { size: '42' } }],
    ['steel kettels', { category: 'kitchen', attributes: { material: 'steel' } }],
  ];

  it.each(cases)('%s', (text, expected) => {
    const parsed = parseQuery(text, vocab);
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, parsed[k as keyof ParsedQuery]]));
    expect(picked).toEqual(expected);
  });

  it('keeps the words for meaning without the price and sort phrases', () => {
    const parsed = parseQuery('cheapest red running shoes under $50', vocab);
    expect(parsed.semanticText).toBe('red running shoes');
    expect(parsed.terms).toEqual(expect.arrayContaining(['red', 'run', 'shoe']));
  });

  it('reports the typos it corrected', () => {
    expect(parseQuery('wireles hedphones', vocab).corrections).toEqual([
      { from: 'wireles', to: 'wireless' },
      { from: 'hedphones', to: 'headphone' },
    ]);
  });

  it('a one-letter size only counts after the word size', () => {
    expect(parseQuery('a mug', vocab).attributes).toEqual({});
    expect(parseQuery('m', vocab).attributes).toEqual({});
  });

  it('names a kind of product apart from its category', () => {
    expect(parseQuery('red sneakers', vocab).kinds).toEqual(['sneaker']);
    expect(parseQuery('red shoes', vocab).kinds).toEqual([]);
  });
});

describe('price and sort phrases', () => {
  it.each([
    ['under $50', { max: 4999 }],
    ['below 19.99', { max: 1998 }],
    ['less than 20 bucks', { max: 1999 }],
    ['at most $30', { max: 3000 }],
    ['no more than 30', { max: 3000 }],
    ['more than $100', { min: 10001 }],
    ['at least 100 usd', { min: 10000 }],
    ['between $20 and $10', { min: 1000, max: 2000 }],
    ['from 20 to 40', { min: 2000, max: 4000 }],
    ['about 1k', { min: 80000, max: 120000 }],
    ['size 42', {}],
  ])('%s', (text, expected) => {
    const { rest: _rest, ...bounds } = parsePrice(text);
    expect(bounds).toEqual(expected);
  });

  it.each([
    ['cheapest mug', 'price_asc'],
    ['least expensive tent', 'price_asc'],
    ['priciest headphones', 'price_desc'],
    ['latest arrivals', 'newest'],
    ['a mug', undefined],
  ])('%s sorts %s', (text, sort) => {
    expect(parseSort(text).sort).toBe(sort);
  });
});
