// Starts the product service (`npm run start:product`, or inside `npm start`): its database, cache and bus, the
// image storage the configuration names, and the demo catalog on a first start; the kit's runner does the rest.
import { isMain, runMain, runService, type SharedDeps, type StartedService } from '@microbazaar/kit';
import { createStorage } from './adapters/storage.js';
import { buildApp, migrations, type ProductService } from './app.js';
import { loadConfig, type ProductConfig } from './config.js';
import { ensureDemoCatalog } from './seed/demo.js';

export type StartedProduct = StartedService<ProductService> & {
  /** products of the demo catalog created on this start (first start only) */
  demoProducts: number;
};

export async function startProduct(config: ProductConfig, shared?: SharedDeps): Promise<StartedProduct> {
  let demoProducts = 0;
  const started = await runService({
    name: 'product',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: 'product:' },
    bus: true,
    build: async ({ logger, db, cache, bus, closeWith }) => {
      const storage = closeWith(await createStorage(config));
      if (config.DEMO_DATA) {
        const images = {
          maxPixels: config.IMAGE_MAX_PIXELS,
          thumbnailSize: config.THUMBNAIL_SIZE,
          mediumSize: config.MEDIUM_SIZE,
        };
        demoProducts = await ensureDemoCatalog({ db, storage, sellerId: config.DEMO_SELLER_ID, logger, images });
        if (demoProducts) logger.info({ products: demoProducts }, 'demo catalog created');
      }
      return buildApp({ config, logger, db, cache, bus, storage });
    },
  });
  return { ...started, demoProducts };
}

if (isMain(import.meta.url)) runMain(loadConfig, startProduct);
