import { describe, expect, it } from 'vitest';
import { categoryNameFromSlug, slugify, slugWithSuffix } from './products.js';

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

describe('categoryNameFromSlug', () => {
  it('turns a slug into a readable name', () => {
    expect(categoryNameFromSlug('home-office')).toBe('Home office');
    expect(categoryNameFromSlug('tools')).toBe('Tools');
  });
});
