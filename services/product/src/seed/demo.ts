// The demo catalog `npm start` shows on first start: a few dozen products with pictures, owned by the demo seller.
import { randomUUID } from 'node:crypto';
import type { Db, Logger } from '@microbazaar/kit';
import { slugify } from '../domain/products.js';
import type { MediaStorage } from '../media/storage.js';
import { announceCatalogChange } from '../store/products.js';
import { insertBatch, type Picture, type SeedOptions, storePicture } from './catalog.js';
import { catalogCategories, PRODUCT_TYPES } from './categories.js';
import { DEMO_CATALOG, type DemoProduct } from './demo-products.js';
import type { GeneratedProduct } from './generator.js';
import { productPicture } from './pictures.js';
import { COLOR_HEX } from './vocabulary.js';

/** Owner of the demo catalog until the platform names the demo seller (DEMO_SELLER_ID). */
export const DEMO_PLACEHOLDER_SELLER_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_PRODUCTS = DEMO_CATALOG.length;
const MARK = 'demo';

export interface DemoOptions {
  db: Db;
  storage: MediaStorage;
  /** the demo seller's user id; the placeholder when unknown (re-owned on a later start that knows it) */
  sellerId: string | undefined;
  images: SeedOptions['images'];
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

  // pictures first, outside the transaction (rendering takes a second or two)
  const products = demoProducts();
  // one picture per colour, shared by the products of that colour (files shared like the seeded pool's)
  const byColor = new Map<string, Promise<Picture>>();
  const pictureOf = (hex: string) => {
    let picture = byColor.get(hex);
    if (!picture) {
      picture = productPicture(hex, byColor.size).then((body) =>
        storePicture(storage, `products/demo/${randomUUID()}`, body, opts.images),
      );
      byColor.set(hex, picture);
    }
    return picture;
  };
  const rows = await Promise.all(
    products.map(async (product) => ({
      id: randomUUID(),
      slug: slugify(product.name, 60),
      product,
      picture: await pictureOf(product.picture.hex),
    })),
  );
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
    for (const c of catalogCategories()) {
      await tx.query(
        'INSERT INTO categories (slug, name, description) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING',
        [c.slug, c.name, c.description],
      );
    }
    await insertBatch(tx, owner, rows, true);
    await announceCatalogChange(tx);
    return true;
  });
  if (!added) {
    // another instance seeded it meanwhile
    await storage.remove([...new Set(rows.map((r) => r.picture))].flatMap(pictureFiles)).catch(() => {});
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

function pictureFiles(p: Picture) {
  return [p.originalKey, p.thumbnailKey, p.mediumKey]
    .filter((k): k is string => Boolean(k))
    .map((key) => ({ key, ref: key === p.originalKey ? p.storageRef : null }));
}
