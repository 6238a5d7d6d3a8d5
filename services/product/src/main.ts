// Starts the product service: config, database + migrations, storage, bus, demo catalog, workers, HTTP.
import {
  busMetrics,
  createLogger,
  isMain,
  listen,
  openBus,
  openDb,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp, migrateProduct } from './app.js';
import { loadConfig, type ProductConfig } from './config.js';
import { createStorage } from './media/storage.js';
import { ensureDemoCatalog } from './seed/demo.js';
import { startWorkers } from './workers.js';

export interface StartedProduct extends RunningService {
  /** products of the demo catalog created on this start (first start only) */
  demoProducts: number;
}

export async function startProduct(config: ProductConfig, shared: SharedDeps = {}): Promise<StartedProduct> {
  const logger = createLogger('product', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const bus = openBus(config, { name: 'product', logger, shared: shared.bus });
  const storage = await createStorage(config);
  const closeAll = async () => {
    await bus.close().catch(() => {});
    await storage.close().catch(() => {});
    await closeDb();
  };
  try {
    const applied = await migrateProduct(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app, inventory } = await buildApp({ config, logger, db, storage, bus });

    const demoProducts = config.DEMO_DATA
      ? await ensureDemoCatalog({
          db,
          storage,
          sellerId: config.DEMO_SELLER_ID,
          logger,
          images: {
            maxPixels: config.IMAGE_MAX_PIXELS,
            thumbnailSize: config.THUMBNAIL_SIZE,
            mediumSize: config.MEDIUM_SIZE,
          },
        })
      : 0;
    if (demoProducts) logger.info({ products: demoProducts }, 'demo catalog created');

    const workers = await startWorkers({
      config,
      db,
      bus,
      logger,
      metrics: busMetrics(app.metrics.registry),
      inventory,
    });
    try {
      const running = await listen(app, {
        name: 'product',
        port: config.PORT,
        host: config.HOST,
        onClose: async () => {
          await workers.stop();
          await closeAll();
        },
      });
      return { ...running, demoProducts };
    } catch (err) {
      await workers.stop();
      await app.close();
      throw err;
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
}

if (isMain(import.meta.url)) {
  runMain(loadConfig, startProduct);
}
