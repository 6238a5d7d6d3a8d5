import { describe, expect, it } from 'vitest';
import { editDistance, fold, stem, terms, words } from './text.js';

describe('words and stems', () => {
  it.each([
    ['shoes', 'shoe'],
    ['batteries', 'battery'],
    ['watches', 'watch'],
    ['boxes', 'box'],
    ['knives', 'knife'],
    ['glasses', 'glass'],
    ['headphones', 'headphone'],
    ['running', 'run'],
    ['sleeping', 'sleep'],
    ['string', 'string'],
    ['dress', 'dress'],
    ['mug', 'mug'],
  ])('%s → %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });

  it('folds case, accents, apostrophes and spelling variants', () => {
    expect(fold("Café's CRÈME & Co")).toBe('cafe creme  and  co');
    expect(words('Grey or gray? A T-shirt!')).toEqual(['grey', 'or', 'grey', 'a', 't', 'shirt', 'tshirt']);
    expect(terms('Red Running Shoes')).toEqual(['red', 'run', 'shoe']);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('headphones', 'headphones', 2)).toBe(0);
    expect(editDistance('hedphones', 'headphones', 2)).toBe(1);
    expect(editDistance('keybaord', 'keyboard', 2)).toBe(1);
    expect(editDistance('mug', 'rug', 2)).toBe(1);
  });

  it('gives up past the bound', () => {
    expect(editDistance('kettle', 'sweater', 2)).toBe(3);
    expect(editDistance('a', 'abcdef', 1)).toBe(2);
  });
});
