// The cart while Redis is gone: 503 with the error body, never a hang, and back to work when it returns.
import { randomUUID } from 'node:crypto';
import { createLogger, MemoryBus, RedisCache } from '@microbazaar/kit';
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { startTokenIssuer, TEST_REDIS_URL, uniquePrefix } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { redisCartStore } from '../src/store/carts.js';
import { fakeCatalog } from './harness.js';

let redis: FaultProxy;
let app: Awaited<ReturnType<typeof buildApp>>['app'];
let close: () => Promise<void>;

beforeAll(async () => {
  redis = await createFaultProxy(TEST_REDIS_URL);
  const [issuer, catalog] = await Promise.all([startTokenIssuer(), fakeCatalog()]);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    PRODUCT_URL: catalog.url,
  });
  const store = redisCartStore(new RedisCache(redis.url, uniquePrefix('cartfaults')), { idleTtlMs: 60_000 });
  const bus = new MemoryBus();
  ({ app } = await buildApp({
    config,
    logger: createLogger('cart', 'silent'),
    store,
    bus,
    catalog: { product: async () => undefined },
  }));
  close = async () => {
    await app.close();
    await store.close();
    await bus.close();
    await Promise.all([issuer.close(), catalog.close(), redis.close()]);
  };
});
afterAll(() => close?.());

it('Redis down → 503 CART_STORE_UNAVAILABLE and not ready; back → works again', async () => {
  const cartId = randomUUID();
  expect((await app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } })).statusCode).toBe(200);
  await redis.cut();
  const down = await app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
  expect(down.statusCode).toBe(503);
  expect(down.json().error).toMatchObject({ code: 'CART_STORE_UNAVAILABLE', requestId: down.headers['x-request-id'] });
  expect((await app.inject('/health/ready')).statusCode).toBe(503);
  await redis.restore();
  let res = down;
  for (let i = 0; i < 40 && res.statusCode !== 200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    res = await app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
  }
  expect(res.statusCode).toBe(200);
});
