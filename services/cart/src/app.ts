// Composition root of the cart service: cookies, routes, cart_queue (product read model, cart clean-up), the
// sweeper of idle guest carts and the repair of cache copies written while Redis was unreachable.
import cookie from '@fastify/cookie';
import { type ProductClient, QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  createServiceApp,
  type Db,
  type Logger,
  serviceEvents,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import type { CartConfig } from './config.js';
import { guestIds } from './domain/guestId.js';
import { cartHandlers } from './events/handlers.js';
import { cartRoutes } from './http/routes.js';
import { type CartCache, guardCache } from './store/cache.js';
import { type Carts, createCarts } from './usecases/carts.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface CartDeps extends WorkersOption {
  config: CartConfig;
  logger: Logger;
  /** the record of carts and the product read model, and the inbox of cart_queue */
  db: Db;
  /** the fast path: copies of carts and product views (Redis, or memory in embedded mode) */
  cache: CartCache;
  bus: Bus;
  catalog: ProductClient;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
}

export interface CartService {
  app: App;
  carts: Carts;
}

export async function buildApp(deps: CartDeps): Promise<CartService> {
  const { config, logger, db, bus } = deps;
  const cache = guardCache(deps.cache, logger);
  const carts = createCarts({
    db,
    cache,
    catalog: deps.catalog,
    limits: { maxLines: config.CART_MAX_LINES, maxQuantity: config.CART_MAX_QUANTITY },
    idleTtlMs: config.CART_IDLE_TTL_SECONDS * 1000,
    cacheTtlMs: config.CART_CACHE_TTL_SECONDS * 1000,
  });
  const { app, guards } = await createServiceApp({
    name: 'cart',
    description:
      'Carts for guests and users (recorded in PostgreSQL, Redis the fast path), priced from the product read model',
    config,
    logger,
    verifier: deps.verifier,
    // no cache check: without Redis the cart answers from PostgreSQL, slower
    readiness: { db: () => db.ping(), bus: () => bus.ping() },
  });
  await app.register(cookie);
  cartRoutes(app, {
    carts,
    guards,
    guestIds: guestIds(config.CART_ID_SECRET),
    cookie: {
      maxAgeSeconds: config.CART_IDLE_TTL_SECONDS,
      secure: config.CART_COOKIE_SECURE ?? config.NODE_ENV === 'production',
    },
  });

  if (deps.workers === false) return { app, carts };
  const events = serviceEvents({ app, db, bus, logger, config });
  await startWorkers(app, async (add) => {
    add(startPeriodic('repair-cart-cache', 500, () => cache.repair(), logger));
    add(
      startPeriodic(
        'expire-idle-guest-carts',
        config.CART_SWEEP_INTERVAL_MS,
        async () => {
          const expired = await carts.expireIdleGuestCarts();
          if (expired) logger.info({ expired }, 'idle guest carts deleted');
        },
        logger,
      ),
    );
    add(await events.consume(QUEUES.cart, cartHandlers(carts)));
  });
  return { app, carts };
}
