// The cart while Redis is gone: 503 with the error body, never a hang, and back to work when it returns.
import { randomUUID } from 'node:crypto';
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CartHarness, startCartHarness } from './harness.js';

let redis: FaultProxy;
let h: CartHarness;

beforeAll(async () => {
  redis = await createFaultProxy(TEST_REDIS_URL);
  h = await startCartHarness('cartfaults', {}, { redis: redis.url });
});
afterAll(async () => {
  await h?.close();
  await redis?.close();
});

it('Redis down → 503 CART_STORE_UNAVAILABLE and not ready; back → works again', async () => {
  const cartId = randomUUID();
  expect((await h.app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } })).statusCode).toBe(200);
  await redis.cut();
  const down = await h.app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
  expect(down.statusCode).toBe(503);
  expect(down.json().error).toMatchObject({ code: 'CART_STORE_UNAVAILABLE', requestId: down.headers['x-request-id'] });
  expect((await h.app.inject('/health/ready')).statusCode).toBe(503);
  await redis.restore();
  let res = down;
  for (let i = 0; i < 40 && res.statusCode !== 200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    res = await h.app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
  }
  expect(res.statusCode).toBe(200);
});
