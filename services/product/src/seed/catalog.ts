// Fills the catalog fast: generated products in batches of set-based inserts (products, stock, images,
// and their product.created events), pictures rendered once and shared, or one per product for the demo.
import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '@microbazaar/contracts';
import { type Db, enqueueEvents, newEvent, type Sql } from '@microbazaar/kit';
import { slugify } from '../domain/products.js';
import { processImage, type RenditionOptions } from '../media/renditions.js';
import type { MediaStorage, StoredFile } from '../media/storage.js';
import { announceCatalogChange } from '../store/products.js';
import { type GeneratedProduct, generatedCategories, generateProducts } from './generator.js';
import { productPicture } from './pictures.js';

export interface SeedOptions {
  db: Db;
  storage: MediaStorage;
  /** the owner of every seeded product */
  sellerId: string;
  count: number;
  /** index of the first generated product (a later run continues where the last stopped) */
  from?: number;
  seed?: number;
  /** unique: one picture per product (demo); pool: a few shared pictures (fast); none */
  pictures?: 'unique' | 'pool' | 'none';
  poolSize?: number;
  /** product.created for each product through the outbox (default true) */
  events?: boolean;
  batchSize?: number;
  images: Pick<RenditionOptions, 'maxPixels' | 'thumbnailSize' | 'mediumSize'>;
  onProgress?: (done: number, total: number) => void;
}

export interface Picture {
  storage: string;
  originalKey: string;
  thumbnailKey: string | null;
  mediumKey: string | null;
  storageRef: string | null;
  url: string;
  thumbnailUrl: string;
  mediumUrl: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

export async function storePicture(
  storage: MediaStorage,
  base: string,
  body: Buffer,
  images: SeedOptions['images'],
): Promise<Picture> {
  const processed = await processImage(body, undefined, { ...images, originalOnly: storage.resizesByUrl });
  const { original } = processed;
  const stored = await storage.put(`${base}/original.${original.extension}`, original.body, original.contentType);
  let thumbnail: StoredFile | undefined;
  let medium: StoredFile | undefined;
  if (processed.thumbnail && processed.medium) {
    thumbnail = await storage.put(`${base}/thumbnail.webp`, processed.thumbnail.body, processed.thumbnail.contentType);
    medium = await storage.put(`${base}/medium.webp`, processed.medium.body, processed.medium.contentType);
  }
  return {
    storage: storage.kind,
    originalKey: stored.key,
    thumbnailKey: thumbnail?.key ?? null,
    mediumKey: medium?.key ?? null,
    storageRef: stored.ref ?? null,
    url: stored.url,
    thumbnailUrl: thumbnail?.url ?? storage.resizedUrl(stored, images.thumbnailSize),
    mediumUrl: medium?.url ?? storage.resizedUrl(stored, images.mediumSize),
    contentType: original.contentType,
    width: original.width,
    height: original.height,
    bytes: original.body.length,
  };
}

export async function insertBatch(
  tx: Sql,
  sellerId: string,
  rows: Array<{ id: string; slug: string; product: GeneratedProduct; picture: Picture | undefined }>,
  withEvents: boolean,
): Promise<void> {
  const imageIds = rows.map((r) => (r.picture ? randomUUID() : null));
  const imagesJson = rows.map((r, i) =>
    JSON.stringify(
      r.picture
        ? [
            {
              id: imageIds[i],
              url: r.picture.url,
              thumbnailUrl: r.picture.thumbnailUrl,
              mediumUrl: r.picture.mediumUrl,
              width: r.picture.width,
              height: r.picture.height,
            },
          ]
        : [],
    ),
  );
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
      imagesJson,
    ],
  );
  await tx.query('INSERT INTO stock (product_id, on_hand) SELECT * FROM unnest($1::uuid[], $2::int[])', [
    rows.map((r) => r.id),
    rows.map((r) => r.product.stock),
  ]);
  const pictured = rows.flatMap((r, i) => (r.picture ? [{ ...r, imageId: imageIds[i] }] : []));
  if (pictured.length) {
    const col = <K extends keyof Picture>(key: K) => pictured.map((r) => (r.picture as Picture)[key]);
    await tx.query(
      `INSERT INTO product_images (id, product_id, position, storage, original_key, thumbnail_key, medium_key,
         storage_ref, url, thumbnail_url, medium_url, content_type, width, height, bytes)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[],
                            $15::int[])`,
      [
        pictured.map((r) => r.imageId),
        pictured.map((r) => r.id),
        pictured.map(() => 0),
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

  await opts.db.transaction(async (tx) => {
    for (const c of generatedCategories()) {
      await tx.query(
        'INSERT INTO categories (slug, name, description) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING',
        [c.slug, c.name, c.description],
      );
    }
  });

  // the pool: a few pictures stored once and shared by many products (deleting one keeps shared files)
  const pool: Picture[] = [];
  if (pictures === 'pool') {
    const size = opts.poolSize ?? 40;
    for (let i = 0; i < size; i++) {
      const body = await productPicture(
        `#${Math.floor((i / size) * 0xffffff)
          .toString(16)
          .padStart(6, '0')}`,
        i,
      );
      pool.push(await storePicture(opts.storage, `seed/pool-${seed}-${i}`, body, opts.images));
    }
  }

  let done = 0;
  while (done < opts.count) {
    const size = Math.min(batchSize, opts.count - done);
    const generated = generateProducts(size, { seed, from: from + done });
    const rows: Array<{ id: string; slug: string; product: GeneratedProduct; picture: Picture | undefined }> = [];
    for (const [i, product] of generated.entries()) {
      const index = from + done + i;
      const id = randomUUID();
      let picture: Picture | undefined;
      if (pictures === 'pool') picture = pool[index % pool.length];
      if (pictures === 'unique') {
        picture = await storePicture(
          opts.storage,
          `products/${id}/${randomUUID()}`,
          await productPicture(product.picture.hex, index),
          opts.images,
        );
      }
      // the index in base 36 keeps seeded slugs unique without a lookup
      rows.push({ id, slug: `${slugify(product.name, 60)}-${index.toString(36)}`, product, picture });
    }
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
