// The record (PostgreSQL) and the two caches in front of it (Redis scripts, process memory).
import { randomUUID } from 'node:crypto';
import { createLogger, createPostgresDb, type Db, RedisCache } from '@microbazaar/kit';
import {
  createTestDatabase,
  deleteRedisPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/app.js';
import type { CartRecord, ProductView } from '../src/domain/cart.js';
import { type CartCache, guardCache, memoryCartCache, redisCartCache } from '../src/store/cache.js';
import { cartRecords } from '../src/store/carts.js';
import { productRecords } from '../src/store/products.js';

const view = (over: Partial<ProductView> = {}): ProductView => ({
  productId: randomUUID(),
  name: 'Lamp',
  price: { amount: 100, currency: 'USD' },
  stock: 5,
  status: 'active',
  sellerId: randomUUID(),
  slug: 'lamp',
  version: 1000,
  ...over,
});

const line = (quantity: number) => ({ productId: randomUUID(), quantity, addedAt: Date.now() });

describe('the record', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase('cartrecord');
    db = createPostgresDb({ url: database.url, schema: 'cart', poolMax: 4 });
    await migrations.apply(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('takes a change only at the version it was read at; versions only grow', async () => {
    const carts = cartRecords(db);
    const id = `u:${randomUUID()}`;
    const first = await carts.create(id, id.slice(2), [line(1)], Date.now());
    expect(first).toMatchObject({ id, lines: [{ quantity: 1 }] });
    expect(await carts.create(id, id.slice(2), [line(2)], Date.now())).toBeUndefined();
    const second = await carts.replace(id, first!.version, [line(3)], Date.now());
    expect(second!.version).toBeGreaterThan(first!.version);
    // a writer that read the first version lost the race: nothing changes
    expect(await carts.replace(id, first!.version, [line(4)], Date.now())).toBeUndefined();
    expect((await carts.find(id))!.lines).toEqual(second!.lines);
    expect(await carts.touch(id, first!.version, Date.now())).toBe(false);
    expect(await carts.touch(id, second!.version, Date.now())).toBe(true);
    expect((await carts.find(id))!.version).toBe(second!.version);
  });

  it('deletes guest carts idle past the time, never a user’s', async () => {
    const carts = cartRecords(db);
    const old = Date.now() - 60_000;
    const guest = `g:${randomUUID()}`;
    const fresh = `g:${randomUUID()}`;
    const user = `u:${randomUUID()}`;
    await carts.create(guest, null, [line(1)], old);
    await carts.create(fresh, null, [line(1)], Date.now());
    await carts.create(user, user.slice(2), [line(1)], old);
    expect(await carts.deleteIdleGuests(Date.now() - 30_000, 1000)).toBeGreaterThanOrEqual(1);
    expect(await carts.find(guest)).toBeUndefined();
    expect(await carts.find(fresh)).toBeDefined();
    expect(await carts.find(user)).toBeDefined();
  });

  it('keeps the newest news of a product', async () => {
    const products = productRecords(db);
    const p = view({ version: 2000, stock: 5 });
    expect(await products.put(p)).toBe(true);
    expect(await products.put({ ...p, version: 1000, stock: 1 })).toBe(false);
    expect((await products.find([p.productId])).get(p.productId)?.stock).toBe(5);
    expect(await products.put({ ...p, version: 3000, stock: 2, name: 'Lamp II' })).toBe(true);
    expect((await products.find([p.productId, randomUUID()])).get(p.productId)).toEqual({
      ...p,
      version: 3000,
      stock: 2,
      name: 'Lamp II',
    });
  });
});

const redisPrefix = uniquePrefix('cartcache');
const redisClients: RedisCache[] = [];
afterAll(async () => {
  for (const c of redisClients) await c.close();
  await deleteRedisPrefix(redisPrefix);
});

describe.each([
  [
    'redis',
    (): CartCache => {
      const client = new RedisCache(TEST_REDIS_URL, redisPrefix);
      redisClients.push(client);
      return redisCartCache(client);
    },
  ],
  ['memory', () => memoryCartCache()],
])('%s cache', (_name, open) => {
  const cache = open();
  const record = (version: number, quantity: number): CartRecord => ({
    id: 'u:fixed',
    version,
    activeAt: 1000,
    lines: [{ productId: 'p1', quantity, addedAt: 5 }],
  });

  it('keeps a copy of a cart until a newer version replaces it, and never an older one over it', async () => {
    const id = `g:${randomUUID()}`;
    expect(await cache.cart(id)).toBeNull();
    await cache.putCart({ ...record(5, 1), id }, 60_000);
    await cache.putCart({ ...record(4, 9), id }, 60_000);
    expect(await cache.cart(id)).toEqual({ ...record(5, 1), id });
    // the same version again: the same cart, marked active later
    await cache.putCart({ ...record(5, 1), id, activeAt: 2000 }, 60_000);
    expect((await cache.cart(id))?.activeAt).toBe(2000);
    await cache.putCart({ ...record(7, 3), id }, 60_000);
    expect((await cache.cart(id))?.lines[0]?.quantity).toBe(3);
    await cache.forget({ carts: [id], products: [] });
    expect(await cache.cart(id)).toBeNull();
  });

  it('keeps the newest news of a product', async () => {
    const p = view({ version: 2000 });
    await cache.putProducts([p], 60_000);
    await cache.putProducts([{ ...p, version: 1000, stock: 1 }], 60_000);
    expect((await cache.products([p.productId, randomUUID()])).get(p.productId)).toEqual(p);
    await cache.putProducts([{ ...p, version: 3000, stock: 2 }], 60_000);
    expect((await cache.products([p.productId])).get(p.productId)?.stock).toBe(2);
  });

  it('lets copies expire', async () => {
    const id = `g:${randomUUID()}`;
    await cache.putCart({ ...record(1, 1), id }, 50);
    await expect.poll(() => cache.cart(id), { timeout: 5000, interval: 50 }).toBeNull();
  });
});

describe('the guarded cache', () => {
  it('never fails its caller; a copy it could not write is not read until repair() dropped it', async () => {
    let down = false;
    const inner = memoryCartCache();
    const flaky: CartCache = {
      ...inner,
      kind: 'memory',
      cart: (id) => (down ? Promise.reject(new Error('down')) : inner.cart(id)),
      putCart: (r, ttl) => (down ? Promise.reject(new Error('down')) : inner.putCart(r, ttl)),
      forget: (keys) => (down ? Promise.reject(new Error('down')) : inner.forget(keys)),
    };
    let t = 0;
    const guarded = guardCache(flaky, createLogger('cart', 'silent'), 1000, () => t);
    const v1: CartRecord = { id: 'g:a', version: 1, activeAt: 0, lines: [] };
    await guarded.putCart(v1, 60_000);
    down = true;
    expect(await guarded.cart('g:a')).toBeNull();
    await guarded.putCart({ ...v1, version: 2 }, 60_000); // the record moved on; this copy did not make it
    down = false;
    t = 2000;
    // the cache answers again but still holds version 1: not served
    expect(await guarded.cart('g:a')).toBeNull();
    expect(await guarded.repair()).toBe(true);
    expect(await inner.cart('g:a')).toBeNull();
    await guarded.putCart({ ...v1, version: 2 }, 60_000);
    expect((await guarded.cart('g:a'))?.version).toBe(2);
  });
});
