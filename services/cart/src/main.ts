// Starts the cart service: config, cart store (Redis or memory), event bus, HTTP; drains on SIGTERM.
import {
  createLogger,
  isMain,
  listen,
  openBus,
  RedisCache,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp } from './app.js';
import { type CartConfig, loadConfig } from './config.js';
import { httpCatalogLookup } from './ports/catalog.js';
import { type CartStore, memoryCartStore, redisCartStore } from './store/carts.js';

/** Redis when REDIS_URL is set; otherwise this process's memory (embedded mode: one process). */
export function openCartStore(config: CartConfig): CartStore {
  const idleTtlMs = config.CART_IDLE_TTL_SECONDS * 1000;
  if (config.REDIS_URL) return redisCartStore(new RedisCache(config.REDIS_URL, config.CART_KEY_PREFIX), { idleTtlMs });
  return memoryCartStore({ idleTtlMs });
}

export async function startCart(config: CartConfig, shared: SharedDeps = {}): Promise<RunningService> {
  const logger = createLogger('cart', config.LOG_LEVEL);
  const store = openCartStore(config);
  const bus = openBus(config, { name: 'cart', logger, shared: shared.bus });
  const closeBackends = async () => {
    await bus.close().catch(() => {});
    await store.close();
  };
  try {
    await store
      .ping()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cart store not reachable yet'));
    const { app } = await buildApp({
      config,
      logger,
      store,
      bus,
      catalog: httpCatalogLookup({ baseUrl: config.PRODUCT_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    });
    return await listen(app, { name: 'cart', port: config.PORT, host: config.HOST, onClose: closeBackends });
  } catch (err) {
    await closeBackends();
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(loadConfig, startCart);
