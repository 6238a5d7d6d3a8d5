// Builds the cart service with the kit's service harness (a fresh database, a RabbitMQ name prefix, a second
// bus that publishes the product.* and order.* events), its cache on Redis under a key prefix of its own, the
// auth service's keys from a token issuer and a loopback catalog.
import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import { createLogger, type Env, newEvent, RedisCache } from '@microbazaar/kit';
import {
  deleteRedisPrefix,
  recordingServer,
  type ServiceHarness,
  sendJson,
  startServiceHarness,
  startTokenIssuer,
  TEST_REDIS_URL,
  type TokenIssuer,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { httpCatalogLookup } from '../src/adapters/catalog.js';
import { buildApp, type CartService, migrations } from '../src/app.js';
import { type CartConfig, loadConfig } from '../src/config.js';
import { type CartCache, redisCartCache } from '../src/store/cache.js';

export interface CatalogEntry {
  id: string;
  name: string;
  price: { amount: number; currency: string };
  stock: number;
  sellerId: string;
  slug: string;
  status: string;
}

/** GET /api/products/:id like the product service; counts the calls (the read model should make them rare). */
export async function fakeCatalog() {
  const products = new Map<string, CatalogEntry>();
  const calls: string[] = [];
  const http = await recordingServer((req, res) => {
    const id = /^\/api\/products\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    calls.push(id);
    const p = products.get(id);
    if (!p) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'Not found', requestId: 'x' } });
    sendJson(res, 200, p);
  });
  return { ...http, products, calls };
}

export interface CartHarness extends ServiceHarness<CartService> {
  carts: CartService['carts'];
  config: CartConfig;
  /** the cache behind the service's guard (Redis under `config.CART_KEY_PREFIX`) */
  cache: CartCache;
  /** deletes every key of this service in Redis, as a FLUSHALL would (the shared Redis itself is never flushed) */
  flushCache(): Promise<void>;
  catalog: Awaited<ReturnType<typeof fakeCatalog>>;
  issuer: TokenIssuer;
  /** publishes an event as another service would, as of `occurredAt` (default now) */
  emit<T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date): Promise<EventOf<T>>;
  /** a product announced by a product.created event, as the product service does */
  product(over?: Partial<EventData<'product.created'>>): Promise<EventData<'product.created'>>;
}

/** `urls` reach Redis or PostgreSQL at another address (a fault proxy in front of it). */
export async function startCartHarness(
  label: string,
  env: Env = {},
  urls: { redis?: string; db?: string } = {},
): Promise<CartHarness> {
  const [issuer, catalog] = await Promise.all([startTokenIssuer(), fakeCatalog()]);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    PRODUCT_URL: catalog.url,
    REDIS_URL: TEST_REDIS_URL,
    CART_KEY_PREFIX: uniquePrefix(label),
    ...env,
  });
  const cache = new RedisCache(urls.redis ?? TEST_REDIS_URL, config.CART_KEY_PREFIX);
  const cartCache = redisCartCache(cache);
  const h = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: [],
    dbUrl: urls.db,
    build: ({ db, bus }) =>
      buildApp({
        config,
        logger: createLogger('cart', config.LOG_LEVEL),
        db,
        cache: cartCache,
        bus,
        catalog: httpCatalogLookup({ baseUrl: catalog.url, timeoutMs: 2000 }),
      }),
  });
  h.onClose(async () => {
    await cache.close();
    await deleteRedisPrefix(config.CART_KEY_PREFIX);
  });
  h.onClose(() => Promise.all([issuer.close(), catalog.close()]));
  const emit = async <T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date) => {
    const event = newEvent(type, data, occurredAt ? { occurredAt } : {});
    await h.platform.publish([event as AnyEvent]);
    return event;
  };
  return {
    ...h,
    carts: h.service.carts,
    config,
    cache: cartCache,
    async flushCache() {
      await deleteRedisPrefix(config.CART_KEY_PREFIX);
    },
    catalog,
    issuer,
    emit,
    async product(over = {}) {
      const productId = over.productId ?? randomUUID();
      const data = {
        productId,
        sellerId: randomUUID(),
        name: `Product ${productId.slice(0, 6)}`,
        slug: `product-${productId}`,
        price: { amount: 1000, currency: 'USD' },
        stock: 10,
        status: 'active',
        ...over,
      };
      await emit('product.created', data);
      return data;
    },
  };
}
