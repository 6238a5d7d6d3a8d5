// Starts the order service: config, database + migrations, event bus, HTTP, workers; drains on SIGTERM.
import {
  createLogger,
  isMain,
  listen,
  openBus,
  openDb,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp, migrateOrder } from './app.js';
import { loadConfig, type OrderConfig } from './config.js';
import { httpCart } from './ports/cart.js';
import { httpCatalog } from './ports/catalog.js';

export async function startOrder(config: OrderConfig, shared: SharedDeps = {}): Promise<RunningService> {
  const logger = createLogger('order', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const bus = openBus(config, { name: 'order', logger, shared: shared.bus });
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
  const catalog = httpCatalog({ baseUrl: config.PRODUCT_URL, timeoutMs });
  const cart = httpCart({ baseUrl: config.CART_URL, timeoutMs });
  const closeBackends = async () => {
    await Promise.all([catalog.close(), cart.close()]).catch(() => {});
    await bus.close().catch(() => {});
    await closeDb();
  };
  try {
    const applied = await migrateOrder(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app } = await buildApp({ config, logger, db, bus, catalog, cart });
    return await listen(app, { name: 'order', port: config.PORT, host: config.HOST, onClose: closeBackends });
  } catch (err) {
    await closeBackends();
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(loadConfig, startOrder);
