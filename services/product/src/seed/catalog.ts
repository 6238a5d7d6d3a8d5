// Fills the catalog fast: generated products in batches of set-based inserts (products, stock, images,
// and their product.created events) with shared pictures; the categories with theirs.
import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '@microbazaar/contracts';
import { type Db, enqueueEvents, newEvent, type Sql } from '@microbazaar/kit';
import type { MediaStorage } from '../adapters/storage.js';
import { slugify } from '../domain/products.js';
import { announceCatalogChange } from '../store/products.js';
import { catalogCategories } from './categories.js';
import { type GeneratedProduct, generateProducts } from './generator.js';
import { type Picture, PicturePool, publicImage, type SeedImages, storeCategoryPictures } from './picture-store.js';
import { PictureRenderer } from './pictures.js';

export interface SeedOptions {
  db: Db;
  storage: MediaStorage;
  /** the owner of every seeded product */
  sellerId: string;
  count: number;
  /** index of the first generated product (a later run continues where the last stopped) */
  from?: number;
  seed?: number;
  /** pool: shared pictures, one per product type and colour up to `poolSize`; none */
  pictures?: 'pool' | 'none';
  poolSize?: number;
  /** product.created for each product through the outbox (default true) */
  events?: boolean;
  batchSize?: number;
  images: SeedImages;
  onProgress?: (done: number, total: number) => void;
}

/** A product to insert, with its pictures in gallery order. */
export interface SeedRow {
  id: string;
  slug: string;
  product: GeneratedProduct;
  pictures: Picture[];
}

/** The vocabulary's categories, with their pictures where given (kept where a category has one). */
export async function insertCategories(tx: Sql, pictures: ReadonlyMap<string, Picture> = new Map()): Promise<void> {
  for (const c of catalogCategories()) {
    const picture = pictures.get(c.slug);
    await tx.query(
      `INSERT INTO categories (slug, name, description, image) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (slug) DO UPDATE SET image = EXCLUDED.image
         WHERE categories.image IS NULL AND EXCLUDED.image IS NOT NULL`,
      [c.slug, c.name, c.description, picture ? JSON.stringify(publicImage(picture)) : null],
    );
  }
}

export async function insertBatch(tx: Sql, sellerId: string, rows: SeedRow[], withEvents: boolean): Promise<void> {
  const images = rows.map((r) => r.pictures.map((picture) => ({ id: randomUUID(), picture })));
  await tx.query(
    `INSERT INTO products (id, seller_id, slug, name, description, price_amount, currency, category, attributes, images)
     SELECT v.id, $1::uuid, v.slug, v.name, v.description, v.price, v.currency, v.category, v.attributes::jsonb,
            v.images::jsonb
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[],
                   $10::text[])
         AS v(id, slug, name, description, price, currency, category, attributes, images)`,
    [
      sellerId,
      rows.map((r) => r.id),
      rows.map((r) => r.slug),
      rows.map((r) => r.product.name),
      rows.map((r) => r.product.description),
      rows.map((r) => r.product.price),
      rows.map((r) => r.product.currency),
      rows.map((r) => r.product.category),
      rows.map((r) => JSON.stringify(r.product.attributes)),
      images.map((list) => JSON.stringify(list.map(({ id, picture }) => ({ id, ...publicImage(picture) })))),
    ],
  );
  await tx.query('INSERT INTO stock (product_id, on_hand) SELECT * FROM unnest($1::uuid[], $2::int[])', [
    rows.map((r) => r.id),
    rows.map((r) => r.product.stock),
  ]);
  const pictured = rows.flatMap((r, i) =>
    (images[i] ?? []).map(({ id, picture }, position) => ({ productId: r.id, id, position, picture })),
  );
  if (pictured.length) {
    const col = <K extends keyof Picture>(key: K) => pictured.map((r) => r.picture[key]);
    await tx.query(
      `INSERT INTO product_images (id, product_id, position, storage, original_key, thumbnail_key, medium_key,
         storage_ref, url, thumbnail_url, medium_url, content_type, width, height, bytes)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[],
                            $15::int[])`,
      [
        pictured.map((r) => r.id),
        pictured.map((r) => r.productId),
        pictured.map((r) => r.position),
        col('storage'),
        col('originalKey'),
        col('thumbnailKey'),
        col('mediumKey'),
        col('storageRef'),
        col('url'),
        col('thumbnailUrl'),
        col('mediumUrl'),
        col('contentType'),
        col('width'),
        col('height'),
        col('bytes'),
      ],
    );
  }
  if (withEvents) {
    const events: AnyEvent[] = rows.map(
      (r) =>
        newEvent('product.created', {
          productId: r.id,
          sellerId,
          name: r.product.name,
          slug: r.slug,
          category: r.product.category,
          price: { amount: r.product.price, currency: r.product.currency },
          stock: r.product.stock,
          status: 'active',
        }) as AnyEvent,
    );
    await enqueueEvents(tx, events);
  }
}

/** Adds `count` generated products (and the 15 categories); returns how many and how long it took. */
export async function seedCatalog(opts: SeedOptions): Promise<{ products: number; ms: number }> {
  const started = Date.now();
  const seed = opts.seed ?? 42;
  const from = opts.from ?? 0;
  const batchSize = opts.batchSize ?? 1000;
  const pictures = opts.pictures ?? 'pool';
  const withEvents = opts.events ?? true;

  const categoryPictures =
    pictures === 'pool' ? await storeCategoryPictures(opts.storage, new PictureRenderer(), opts.images) : undefined;
  await opts.db.transaction((tx) => insertCategories(tx, categoryPictures));

  // shared pictures: stored once, used by many products (deleting one keeps shared files)
  const pool =
    pictures === 'pool' ? new PicturePool(opts.storage, opts.images, opts.poolSize ?? 100, `pool-${seed}`) : undefined;
  let done = 0;
  while (done < opts.count) {
    const size = Math.min(batchSize, opts.count - done);
    const generated = generateProducts(size, { seed, from: from + done });
    const rows = await Promise.all(
      generated.map(async (product, i): Promise<SeedRow> => {
        const index = from + done + i;
        // the index in base 36 keeps seeded slugs unique without a lookup
        const slug = `${slugify(product.name, 60)}-${index.toString(36)}`;
        return { id: randomUUID(), slug, product, pictures: pool ? [await pool.pictureFor(product)] : [] };
      }),
    );
    await opts.db.transaction((tx) => insertBatch(tx, opts.sellerId, rows, withEvents));
    done += size;
    opts.onProgress?.(done, opts.count);
  }
  await opts.db.transaction((tx) => announceCatalogChange(tx));
  // a bulk load ends the way autovacuum would end it, had it run (it is off on some servers): statistics
  // for the planner, and the GIN indexes' pending lists merged, which every search would scan otherwise
  await opts.db.exec('VACUUM (ANALYZE) products');
  return { products: done, ms: Date.now() - started };
}

/** Seeded products so far (the next index to generate). */
export async function productCount(db: Db): Promise<number> {
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
  return Number(row?.n ?? 0);
}
