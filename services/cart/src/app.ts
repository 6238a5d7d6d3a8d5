// Composition root of the cart service: cookies, routes, and cart_queue (product read model, cart clean-up).
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
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import type { CartConfig } from './config.js';
import { guestIds } from './domain/guestId.js';
import { cartHandlers } from './events/handlers.js';
import { cartRoutes } from './http/routes.js';
import type { CartStore } from './store/carts.js';
import { type Carts, createCarts } from './usecases/carts.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface CartDeps extends WorkersOption {
  config: CartConfig;
  logger: Logger;
  /** the inbox of cart_queue */
  db: Db;
  store: CartStore;
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
  const { config, logger, db, store, bus } = deps;
  const carts = createCarts({
    store,
    catalog: deps.catalog,
    limits: { maxLines: config.CART_MAX_LINES, maxQuantity: config.CART_MAX_QUANTITY },
  });
  const { app, guards } = await createServiceApp({
    name: 'cart',
    description: 'Carts for guests and users, priced from the product read model',
    config,
    logger,
    verifier: deps.verifier,
    readiness: { db: () => db.ping(), store: () => store.ping(), bus: () => bus.ping() },
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
    add(await events.consume(QUEUES.cart, cartHandlers(carts)));
  });
  return { app, carts };
}
