import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStorage } from '../adapters/storage-local.js';
import { CATEGORIES } from './categories.js';
import { generateProducts } from './generator.js';
import { icon, subpaths } from './icons.js';
import { PicturePool } from './picture-store.js';
import { CATEGORY_PICTURE, PICTURE_SIZE, PictureRenderer } from './pictures.js';
import { COLOR_HEX } from './vocabulary.js';

const dir = mkdtempSync(join(tmpdir(), 'mbt-pictures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('icons', () => {
  it('splits path data into subpaths that stand alone and knows which are closed', () => {
    expect(subpaths('M4 6h5v5H4zm10 7l1-2')).toEqual([
      { d: 'M4 6h5v5H4z', closed: true, bounds: { minX: 4, minY: 6, maxX: 9, maxY: 11 } },
      // a relative moveto after z starts from the subpath's start, and is made absolute
      { d: 'M14 13l1 -2', closed: false, bounds: { minX: 14, minY: 11, maxX: 15, maxY: 13 } },
    ]);
    // a circle of two arcs ends where it began, and its bounds are the circle's
    const [circle] = subpaths('M10 16m-6 0a6 6 0 1 0 12 0a6 6 0 1 0-12 0');
    expect(circle?.closed).toBe(true);
    expect(circle?.bounds.minY).toBeCloseTo(10, 1);
    expect(circle?.bounds.maxY).toBeCloseTo(22, 1);
    // compressed arc flags, as optimisers write them
    expect(subpaths('M2 2a1 1 0 011 1')[0]?.d).toBe('M2 2a1 1 0 0 1 1 1');
  });

  it('draws every product type and category of the catalog, with a body to fill', () => {
    const names = new Set(CATEGORIES.flatMap((c) => [...c.types.map((t) => t.icon), ...c.picture.icons]));
    for (const name of names) {
      const shape = icon(name);
      expect(shape.outline.length, name).toBeGreaterThan(0);
      expect(shape.solid.length, `${name} has no closed shape to fill`).toBeGreaterThan(0);
      expect(shape.bounds.minX, name).toBeGreaterThanOrEqual(0);
      expect(shape.bounds.maxY, name).toBeLessThanOrEqual(24);
    }
    expect(() => icon('no-such-icon')).toThrow(/no icon named/);
  });
});

/** The mean colour of the picture's middle ninth. */
async function middle(picture: Sharp, size: { width: number; height: number }) {
  const box = { left: Math.round(size.width / 3), top: Math.round(size.height / 3) };
  // encoded first: sharp would cut before compositing
  const { data } = await sharp(await picture.png().toBuffer())
    .extract({ ...box, width: Math.round(size.width / 3), height: Math.round(size.height / 3) })
    .removeAlpha()
    .resize(1, 1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return [...data];
}

describe('pictures', () => {
  const renderer = new PictureRenderer();

  it('shows the product in its colour, in three takes of the product size', async () => {
    for (const take of [0, 1, 2]) {
      const jpeg = await (await renderer.product('mug', COLOR_HEX.red, take)).jpeg().toBuffer();
      const meta = await sharp(jpeg).metadata();
      expect([meta.width, meta.height]).toEqual([PICTURE_SIZE, PICTURE_SIZE]);
      const [r = 0, g = 0, b = 0] = await middle(sharp(jpeg), { width: PICTURE_SIZE, height: PICTURE_SIZE });
      expect(r, `take ${take} is red in the middle`).toBeGreaterThan(g + 60);
      expect(r).toBeGreaterThan(b + 60);
    }
    const [r = 0, g = 0, b = 0] = await middle(await renderer.product('mug', COLOR_HEX.blue, 0), {
      width: PICTURE_SIZE,
      height: PICTURE_SIZE,
    });
    expect(b).toBeGreaterThan(r + 60);
    expect(b).toBeGreaterThan(g);
  });

  it('draws a landscape picture per category', async () => {
    const sport = CATEGORIES.find((c) => c.slug === 'sports');
    if (!sport) throw new Error('no sports category');
    const jpeg = await (await renderer.category(sport.picture.icons, COLOR_HEX[sport.picture.color])).jpeg().toBuffer();
    const meta = await sharp(jpeg).metadata();
    expect([meta.width, meta.height]).toEqual([CATEGORY_PICTURE.width, CATEGORY_PICTURE.height]);
  });
});

describe('the shared picture pool of the generated catalog', () => {
  const images = { maxPixels: 1e7, thumbnailSize: 320, mediumSize: 1024 };

  it('gives each product type its own picture before a second colour of any, never more than its size', async () => {
    const storage = createLocalStorage({ dir, baseUrl: '/media' });
    const pool = new PicturePool(storage, images, 10, 'test');
    const products = generateProducts(150, { seed: 3 });
    const pictures = await Promise.all(products.map((p) => pool.pictureFor(p)));
    expect(pool.count).toBe(10);
    const iconOf = new Map<string, string>();
    products.forEach((p, i) => {
      const key = pictures[i]?.originalKey as string;
      if (!iconOf.has(key)) iconOf.set(key, p.picture.icon);
    });
    // ten pictures of ten product types (room is kept for types not seen yet)
    expect(new Set(iconOf.values()).size).toBe(10);
    // a product whose type has a picture shows its type, never another product
    for (const [i, p] of products.entries()) {
      if ([...iconOf.values()].includes(p.picture.icon)) {
        expect(iconOf.get(pictures[i]?.originalKey as string)).toBe(p.picture.icon);
      }
    }
    // the same type and colour, the same picture
    const first = products[0];
    const twin = products
      .slice(1)
      .find((p) => p.picture.icon === first?.picture.icon && p.picture.hex === first?.picture.hex);
    if (first && twin) expect(await pool.pictureFor(twin)).toBe(await pool.pictureFor(first));
  });

  it('makes do with fewer pictures than product types', async () => {
    const pool = new PicturePool(createLocalStorage({ dir, baseUrl: '/media' }), images, 3, 'small');
    const pictures = await Promise.all(generateProducts(100, { seed: 4 }).map((p) => pool.pictureFor(p)));
    expect(new Set(pictures.map((p) => p.originalKey)).size).toBe(3);
  });
});
