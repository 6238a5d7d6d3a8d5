// Starts the cart service (`npm run start:cart`, or inside `npm start`): its database (the inbox), the cart
// store on the cache (Redis, or this process's memory), the bus, and the catalog it asks about unknown products.
import { isMain, RedisCache, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { httpCatalogLookup } from './adapters/catalog.js';
import { buildApp, migrations } from './app.js';
import { type CartConfig, loadConfig } from './config.js';
import { memoryCartStore, redisCartStore } from './store/carts.js';

export function startCart(config: CartConfig, shared?: SharedDeps) {
  return runService({
    name: 'cart',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: config.CART_KEY_PREFIX },
    bus: true,
    build: ({ logger, db, cache, bus, closeWith }) => {
      const idleTtlMs = config.CART_IDLE_TTL_SECONDS * 1000;
      // Redis scripts when the cache is Redis; one process's memory otherwise (embedded mode)
      const store = closeWith(
        cache instanceof RedisCache ? redisCartStore(cache, { idleTtlMs }) : memoryCartStore({ idleTtlMs }),
      );
      const catalog = httpCatalogLookup({ baseUrl: config.PRODUCT_URL, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
      return buildApp({ config, logger, db, store, bus, catalog });
    },
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startCart);
