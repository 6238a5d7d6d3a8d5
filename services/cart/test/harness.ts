// Builds the cart service on Redis (a key prefix of its own) and RabbitMQ (a name prefix of its own), with a
// JWKS server of ours and a loopback catalog; a second bus publishes the product.* and order.* events.
import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import { createLogger, type Env, newEvent, RabbitBus, RedisCache } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import {
  counterValue,
  deleteRedisPrefix,
  recordingServer,
  startTokenIssuer,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
  type TokenIssuer,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { buildApp } from '../src/app.js';
import type { Carts } from '../src/carts.js';
import { type CartConfig, loadConfig } from '../src/config.js';
import { httpCatalogLookup } from '../src/ports/catalog.js';
import { type CartStore, redisCartStore } from '../src/store/carts.js';

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
    res.writeHead(p ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(p ?? { error: { code: 'NOT_FOUND', message: 'Not found', requestId: 'x' } }));
  });
  return { ...http, products, calls };
}

export interface CartHarness {
  app: Awaited<ReturnType<typeof buildApp>>['app'];
  carts: Carts;
  config: CartConfig;
  store: CartStore;
  catalog: Awaited<ReturnType<typeof fakeCatalog>>;
  issuer: TokenIssuer;
  platform: RabbitBus;
  emit<T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date): Promise<EventOf<T>>;
  /** a product announced by a product.created event, as the product service does */
  product(over?: Partial<EventData<'product.created'>>): Promise<EventData<'product.created'>>;
  /** events of `type` cart_queue has consumed and acked so far (events_consumed_total), by outcome */
  consumed(type: EventType): Promise<{ handled: number; skipped: number }>;
  close(): Promise<void>;
}

export async function startCartHarness(label: string, env: Env = {}): Promise<CartHarness> {
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
  const store = redisCartStore(new RedisCache(TEST_REDIS_URL, config.CART_KEY_PREFIX), {
    idleTtlMs: config.CART_IDLE_TTL_SECONDS * 1000,
  });
  await store.ping();
  const prefix = testPrefix(label);
  const logger = createLogger('cart', config.LOG_LEVEL);
  const bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-cart`, logger });
  const platform = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-platform` });
  await Promise.all([bus.ready(), platform.ready()]);
  const { app, carts } = await buildApp({
    config,
    logger,
    store,
    bus,
    catalog: httpCatalogLookup({ baseUrl: catalog.url, timeoutMs: 2000 }),
  });
  await app.ready();
  const emit = async <T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date) => {
    const event = newEvent(type, data, occurredAt ? { occurredAt } : {});
    await platform.publish([event as AnyEvent]);
    return event;
  };
  return {
    app,
    carts,
    config,
    store,
    catalog,
    issuer,
    platform,
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
    async consumed(type) {
      const count = (outcome: string) => counterValue(app, 'events_consumed_total', { type, outcome });
      return { handled: await count('handled'), skipped: await count('skipped') };
    },
    async close() {
      await app.close();
      await bus.deleteTopology().catch(() => {});
      await platform.deleteTopology().catch(() => {});
      await Promise.all([bus.close(), platform.close()]);
      await store.close();
      await deleteRedisPrefix(config.CART_KEY_PREFIX);
      await Promise.all([issuer.close(), catalog.close()]);
    },
  };
}
