// Starts the cart service (`npm run start:cart`, or inside `npm start`): its database (the record of carts),
// the cache in front of it (Redis, or this process's memory), the bus, and the catalog it asks about products
// its read model has not heard of.
import { isMain, RedisCache, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { httpCatalogLookup } from './adapters/catalog.js';
import { buildApp, migrations } from './app.js';
import { type CartConfig, loadConfig } from './config.js';
import { memoryCartCache, redisCartCache } from './store/cache.js';

export function startCart(config: CartConfig, shared?: SharedDeps) {
  return runService({
    name: 'cart',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: config.CART_KEY_PREFIX },
    bus: true,
    build: ({ logger, db, cache, bus }) =>
      buildApp({
        config,
        logger,
        db,
        cache: cache instanceof RedisCache ? redisCartCache(cache) : memoryCartCache(),
        bus,
        catalog: httpCatalogLookup({ baseUrl: config.PRODUCT_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
      }),
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startCart);
