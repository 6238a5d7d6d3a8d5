// Composition root of the cart service: cookies, routes, and cart_queue (product read model, cart clean-up).
import cookie from '@fastify/cookie';
import { type ProductClient, QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  busMetrics,
  createApp,
  createGuards,
  createJwksVerifier,
  installEventContext,
  type Logger,
  retryPolicyFrom,
  type Subscription,
  type TokenVerifier,
} from '@microbazaar/kit';
import { type Carts, createCarts } from './carts.js';
import type { CartConfig } from './config.js';
import { guestIds } from './domain/guestId.js';
import { CART_BINDINGS, cartEventHandler } from './events/handlers.js';
import { cartRoutes } from './http/routes.js';
import type { CartStore } from './store/carts.js';

export interface CartDeps {
  config: CartConfig;
  logger: Logger;
  store: CartStore;
  bus: Bus;
  catalog: ProductClient;
  verifier?: TokenVerifier;
  /** consume cart_queue (default true) */
  workers?: boolean;
}

export async function buildApp(deps: CartDeps): Promise<{ app: App; carts: Carts }> {
  const { config, logger, store, bus } = deps;
  const carts = createCarts({
    store,
    catalog: deps.catalog,
    limits: { maxLines: config.CART_MAX_LINES, maxQuantity: config.CART_MAX_QUANTITY },
  });
  const verifier =
    deps.verifier ??
    createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });

  const app: App = await createApp({
    name: 'cart',
    logger,
    description: 'Carts for guests and users, priced from the product read model',
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: { store: () => store.ping(), bus: () => bus.ping() },
  });
  installEventContext(app);
  await app.register(cookie);
  cartRoutes(app, {
    carts,
    guards: createGuards(verifier),
    guestIds: guestIds(config.CART_ID_SECRET),
    cookie: {
      maxAgeSeconds: config.CART_IDLE_TTL_SECONDS,
      secure: config.CART_COOKIE_SECURE ?? config.NODE_ENV === 'production',
    },
  });

  if (deps.workers !== false) {
    let subscription: Subscription | undefined;
    app.addHook('onClose', async () => {
      await subscription?.close();
    });
    subscription = await bus.subscribe({
      queue: QUEUES.cart,
      bindings: CART_BINDINGS,
      handler: cartEventHandler(carts),
      logger,
      metrics: busMetrics(app.metrics.registry),
      ...retryPolicyFrom(config),
    });
  }
  return { app, carts };
}
