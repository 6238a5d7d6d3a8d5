// The demo catalog `npm start` shows on first start: 63 products with two pictures each and a picture per
// category, owned by the demo seller.
import { randomUUID } from 'node:crypto';
import type { Db, Logger } from '@microbazaar/kit';
import type { MediaStorage } from '../adapters/storage.js';
import { slugify } from '../domain/products.js';
import { announceCatalogChange } from '../store/products.js';
import { insertBatch, insertCategories, type SeedRow } from './catalog.js';
import { PRODUCT_TYPES } from './categories.js';
import { DEMO_CATALOG, type DemoProduct } from './demo-products.js';
import type { GeneratedProduct } from './generator.js';
import {
  inParallel,
  PICTURES_IN_FLIGHT,
  pictureFiles,
  type SeedImages,
  storeCategoryPictures,
  storePicture,
} from './picture-store.js';
import { PictureRenderer } from './pictures.js';
import { COLOR_HEX } from './vocabulary.js';

/** Owner of the demo catalog until the platform names the demo seller (DEMO_SELLER_ID). */
export const DEMO_PLACEHOLDER_SELLER_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_PRODUCTS = DEMO_CATALOG.length;
/** pictures per demo product */
export const DEMO_PICTURES = 2;
const MARK = 'demo';

export interface DemoOptions {
  db: Db;
  storage: MediaStorage;
  /** the demo seller's user id; the placeholder when unknown (re-owned on a later start that knows it) */
  sellerId: string | undefined;
  images: SeedImages;
  logger: Logger;
}

/**
 * Seeds the demo catalog once per database: only into an empty catalog, never twice (a marker row
 * commits with the products, so a crash half-way leaves nothing behind). Returns how many it added.
 */
export async function ensureDemoCatalog(opts: DemoOptions): Promise<number> {
  const { db, storage, logger } = opts;
  const owner = opts.sellerId ?? DEMO_PLACEHOLDER_SELLER_ID;
  if (opts.sellerId) {
    // a start that knows the demo seller takes over what an earlier one seeded for the placeholder
    const moved = await db.query('UPDATE products SET seller_id = $1 WHERE seller_id = $2 RETURNING id', [
      opts.sellerId,
      DEMO_PLACEHOLDER_SELLER_ID,
    ]);
    if (moved.length) logger.info({ products: moved.length }, 'demo catalog handed to the demo seller');
  }
  const seen = await db.query('SELECT 1 FROM catalog_seeds WHERE name = $1', [MARK]);
  if (seen.length) return 0;
  const [existing] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
  if (Number(existing?.n ?? 0) > 0) {
    await db.query('INSERT INTO catalog_seeds (name) VALUES ($1) ON CONFLICT DO NOTHING', [MARK]);
    return 0;
  }

  // pictures first, outside the transaction: two takes of every product (studio, then on a podium or a
  // close-up, by turns) and the categories' pictures
  const products = demoProducts();
  const ids = products.map(() => randomUUID());
  const renderer = new PictureRenderer();
  const takes = products.flatMap((product, p) =>
    [0, p % 2 === 0 ? 1 : 2].map((take) => ({ product, id: ids[p] as string, take })),
  );
  const [categoryPictures, shots] = await Promise.all([
    storeCategoryPictures(storage, renderer, opts.images),
    inParallel(takes, PICTURES_IN_FLIGHT, async ({ product, id, take }) =>
      storePicture(
        storage,
        `products/${id}/${randomUUID()}`,
        await renderer.product(product.picture.icon, product.picture.hex, take),
        opts.images,
      ),
    ),
  ]);
  const rows: SeedRow[] = products.map((product, p) => ({
    id: ids[p] as string,
    slug: slugify(product.name, 60),
    product,
    pictures: shots.slice(p * DEMO_PICTURES, (p + 1) * DEMO_PICTURES),
  }));
  // demo names may repeat: the second gets a numbered slug
  const used = new Map<string, number>();
  for (const row of rows) {
    const n = (used.get(row.slug) ?? 0) + 1;
    used.set(row.slug, n);
    if (n > 1) row.slug = `${row.slug}-${n}`;
  }

  const added = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${db.schema}:demo-catalog`]);
    const claimed = await tx.query(
      'INSERT INTO catalog_seeds (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING name',
      [MARK],
    );
    if (claimed.length === 0) return false;
    await insertCategories(tx, categoryPictures);
    await insertBatch(tx, owner, rows, true);
    await announceCatalogChange(tx);
    return true;
  });
  if (!added) {
    // another instance seeded it meanwhile
    await storage.remove(pictureFiles([...shots, ...categoryPictures.values()])).catch(() => {});
    return 0;
  }
  if (!opts.sellerId) {
    logger.warn(
      { owner },
      'demo catalog owned by a placeholder seller: set DEMO_SELLER_ID to the demo seller id to let it edit them',
    );
  }
  return rows.length;
}

/**
 * The demo catalog as products to insert, taking turns between categories so that the newest
 * products (the home page's) show a bit of everything.
 */
export function demoProducts(): GeneratedProduct[] {
  const byCategory = new Map<string, GeneratedProduct[]>();
  for (const demo of DEMO_CATALOG) {
    const product = toProduct(demo);
    byCategory.set(product.category, [...(byCategory.get(product.category) ?? []), product]);
  }
  const queues = [...byCategory.values()];
  const out: GeneratedProduct[] = [];
  for (let round = 0; out.length < DEMO_CATALOG.length; round++) {
    for (const queue of queues) if (queue[round]) out.push(queue[round] as GeneratedProduct);
  }
  return out;
}

function toProduct(demo: DemoProduct): GeneratedProduct {
  const known = PRODUCT_TYPES.get(demo.type);
  if (!known) throw new Error(`demo product "${demo.name}": unknown product type ${demo.type}`);
  return {
    name: demo.name,
    description: demo.description,
    price: demo.price,
    currency: 'USD',
    category: known.category.slug,
    type: demo.type,
    attributes: {
      brand: demo.brand,
      color: demo.color,
      ...(demo.material ? { material: demo.material } : {}),
      ...demo.attributes,
    },
    stock: demo.stock,
    picture: { icon: known.type.icon, color: demo.color, hex: COLOR_HEX[demo.color] },
  };
}
