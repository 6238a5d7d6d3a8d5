// The cart while a backend is gone (the kit's TCP proxy cut in front of it): without Redis carts are read and
// changed in PostgreSQL (200s, slower); without PostgreSQL cached carts keep being read and changes answer
// 503 DATABASE_UNAVAILABLE; never a hang, and back to normal when the backend returns.
import { randomUUID } from 'node:crypto';
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { eventually, TEST_POSTGRES_URL, TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productRecords } from '../src/store/products.js';
import { type CartHarness, startCartHarness } from './harness.js';

const WAIT = 10_000;
let redis: FaultProxy;
let pg: FaultProxy;
let h: CartHarness;

beforeAll(async () => {
  redis = await createFaultProxy(TEST_REDIS_URL);
  // a proxy to the server: the harness names its own database behind it
  pg = await createFaultProxy(TEST_POSTGRES_URL);
  h = await startCartHarness('cartfaults', {}, { redis: redis.url, db: pg.url });
});
afterAll(async () => {
  await redis?.restore();
  await pg?.restore();
  await h?.close();
  await Promise.all([redis?.close(), pg?.close()]);
});

const items = (res: { json(): { items: Array<{ productId: string; quantity: number }> } }) =>
  res.json().items.map((i) => [i.productId, i.quantity]);

async function product(stock = 20) {
  const p = await h.product({ stock });
  await eventually(async () => expect((await productRecords(h.db).find([p.productId])).size).toBe(1), WAIT);
  return p;
}

function as(token: string) {
  return {
    get: () => h.app.inject({ url: '/api/cart', headers: { authorization: `Bearer ${token}` } }),
    add: (productId: string, quantity: number) =>
      h.app.inject({
        method: 'POST',
        url: '/api/cart/items',
        headers: { authorization: `Bearer ${token}` },
        payload: { productId, quantity },
      }),
  };
}

describe('Redis cut', () => {
  it('carts are still read and changed (from PostgreSQL), and no stale copy is served once it returns', async () => {
    const [a, b] = [await product(), await product()];
    const userId = randomUUID();
    const user = as(await h.issuer.sign(userId));
    expect((await user.add(a.productId, 1)).statusCode).toBe(200);
    const guest = await h.app.inject({
      method: 'POST',
      url: '/api/cart/items',
      payload: { productId: b.productId, quantity: 2 },
    });
    const cartId = guest.headers['x-cart-id'] as string;

    await redis.cut();
    try {
      const read = await user.get();
      expect(read.statusCode).toBe(200);
      expect(items(read)).toEqual([[a.productId, 1]]);
      const changed = await user.add(a.productId, 2);
      expect(changed.statusCode).toBe(200);
      expect(items(changed)).toEqual([[a.productId, 3]]);
      const added = await user.add(b.productId, 1);
      expect(items(added)).toEqual([
        [a.productId, 3],
        [b.productId, 1],
      ]);
      const guestRead = await h.app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
      expect(guestRead.statusCode).toBe(200);
      expect(items(guestRead)).toEqual([[b.productId, 2]]);
      expect((await h.app.inject('/health/ready')).statusCode).toBe(200);
    } finally {
      await redis.restore();
    }
    // Redis still holds the copy from before the cut: it must not come back
    await eventually(async () => {
      const res = await user.get();
      expect(res.statusCode).toBe(200);
      expect(items(res)).toEqual([
        [a.productId, 3],
        [b.productId, 1],
      ]);
      // and the copy in Redis is the record's again
      expect((await h.cache.cart(`u:${userId}`))?.lines).toHaveLength(2);
    }, WAIT);
  });
});

describe('PostgreSQL cut', () => {
  it('cached carts are still read; changes answer 503 DATABASE_UNAVAILABLE; back → changes work', async () => {
    const a = await product();
    const user = as(await h.issuer.sign(randomUUID()));
    expect((await user.add(a.productId, 2)).statusCode).toBe(200);
    expect((await user.get()).statusCode).toBe(200);

    await pg.cut();
    try {
      const read = await user.get();
      expect(read.statusCode).toBe(200);
      expect(items(read)).toEqual([[a.productId, 2]]);
      const write = await user.add(a.productId, 1);
      expect(write.statusCode).toBe(503);
      expect(write.json().error).toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        requestId: write.headers['x-request-id'],
      });
      expect((await h.app.inject('/health/ready')).statusCode).toBe(503);
    } finally {
      await pg.restore();
    }
    await eventually(async () => expect((await user.add(a.productId, 1)).statusCode).toBe(200), WAIT);
    expect(items(await user.get())).toEqual([[a.productId, 3]]);
  });
});
