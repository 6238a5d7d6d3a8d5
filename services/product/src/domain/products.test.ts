import { isUuid } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { categoryNameFromSlug, productSlug, slugify, slugWithSuffix } from './products.js';

describe('slugify', () => {
  it.each([
    ['Ergonomic Steel Chair', 'ergonomic-steel-chair'],
    ['  Crème Brûlée Torch!! ', 'creme-brulee-torch'],
    ['Salt & Pepper', 'salt-and-pepper'],
    ['USB-C -- Hub (4 ports)', 'usb-c-hub-4-ports'],
    ['日本語', 'product'],
    ['!!!', 'product'],
  ])('%j → %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('cuts long names at the limit without a trailing hyphen', () => {
    const slug = slugify(`${'word '.repeat(40)}end`);
    expect(slug.length).toBeLessThanOrEqual(80);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('adds a six-character suffix for a taken slug', () => {
    const a = slugWithSuffix('desk-lamp');
    expect(a).toMatch(/^desk-lamp-[0-9a-z]{6}$/);
    expect(slugWithSuffix('desk-lamp')).not.toBe(a);
    expect(slugWithSuffix('x'.repeat(80)).length).toBeLessThanOrEqual(80);
  });
});

describe('productSlug', () => {
  it("is the name's slug first, then the slug with a suffix", () => {
    expect(productSlug('Desk Lamp', 0)).toBe('desk-lamp');
    expect(productSlug('Desk Lamp', 1)).toMatch(/^desk-lamp-[0-9a-z]{6}$/);
  });

  it('never looks like a UUID (a UUID-shaped reference is read as an id)', () => {
    const name = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    expect(isUuid(slugify(name))).toBe(true);
    for (const attempt of [0, 1, 2]) {
      const slug = productSlug(name, attempt);
      expect(isUuid(slug)).toBe(false);
      expect(slug).toMatch(/^3f2504e0-4f89-41d3-9a0c-0305e82c3301-[0-9a-z]{6}$/);
    }
  });
});

describe('categoryNameFromSlug', () => {
  it('turns a slug into a readable name', () => {
    expect(categoryNameFromSlug('home-office')).toBe('Home office');
    expect(categoryNameFromSlug('tools')).toBe('Tools');
  });
});
