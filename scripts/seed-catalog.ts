// `npm run seed:catalog -- --products 10000`: adds a generated catalog (15 categories, invented brands, attributes, prices,
// stock, generated pictures) to the product service's database (DATABASE_URL, or the embedded PGlite
// under DATA_DIR: stop `npm start` first, PGlite allows one process). Options:
//   --products N   how many to add (default 1000)        --seller UUID  owner (default DEMO_SELLER_ID)
//   --seed N       generator seed (default 42)            --from N       first generator index (default: products so far)
//   --no-events    skip product.created in the outbox     --no-pictures  no images (fastest)
//   --pool N       distinct shared pictures (default 100: one per product type and colour, as far as it goes)
//   --batch N      rows per insert (default 1000)
import { openDb } from '@microbazaar/kit';
import { createStorage } from '@microbazaar/product/adapters/storage';
import { migrations } from '@microbazaar/product/app';
import { loadConfig } from '@microbazaar/product/config';
import { productCount, seedCatalog } from '@microbazaar/product/seed/catalog';
import { DEMO_PLACEHOLDER_SELLER_ID } from '@microbazaar/product/seed/demo';

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}
const flag = (name: string) => process.argv.slice(2).includes(`--${name}`);

function integer(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const config = loadConfig();
const count = integer('products', 1000);
const sellerId = option('seller') ?? config.DEMO_SELLER_ID ?? DEMO_PLACEHOLDER_SELLER_ID;
const { db, close } = await openDb(config, config.DB_SCHEMA);
const storage = await createStorage(config);
try {
  await migrations.apply(db);
  const from = integer('from', await productCount(db));
  console.log(
    `seeding ${count} products into ${config.DATABASE_URL ? 'PostgreSQL' : `PGlite (${config.DATA_DIR})`}, owner ${sellerId}`,
  );
  let last = 0;
  const result = await seedCatalog({
    db,
    storage,
    sellerId,
    count,
    from,
    seed: integer('seed', 42),
    pictures: flag('no-pictures') ? 'none' : 'pool',
    poolSize: Math.max(1, integer('pool', 100)),
    events: !flag('no-events'),
    batchSize: Math.max(1, integer('batch', 1000)),
    images: {
      maxPixels: config.IMAGE_MAX_PIXELS,
      thumbnailSize: config.THUMBNAIL_SIZE,
      mediumSize: config.MEDIUM_SIZE,
    },
    onProgress(done, total) {
      if (done - last >= 10_000 || done === total) {
        last = done;
        console.log(`  ${done} / ${total}`);
      }
    },
  });
  const seconds = result.ms / 1000;
  console.log(
    `seeded ${result.products} products in ${seconds.toFixed(1)} s (${Math.round(result.products / seconds)}/s); catalog now ${await productCount(db)}`,
  );
} finally {
  await storage.close();
  await close();
}
