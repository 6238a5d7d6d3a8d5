// The two cart stores (Redis scripts, process memory) obey the same rules.
import { randomUUID } from 'node:crypto';
import { RedisCache } from '@microbazaar/kit';
import { deleteRedisPrefix, TEST_REDIS_URL, uniquePrefix } from '@microbazaar/kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProductView } from '../src/domain/cart.js';
import { type CartStore, memoryCartStore, redisCartStore } from '../src/store/carts.js';

const stores: CartStore[] = [];
const redisPrefix = uniquePrefix('cartstore');
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await deleteRedisPrefix(redisPrefix);
});

const bounds = { maxLines: 3, maxQuantity: 10, available: 8 };

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

describe.each([
  [
    'redis',
    (ttl: number) => redisCartStore(new RedisCache(TEST_REDIS_URL, `${redisPrefix}${ttl}:`), { idleTtlMs: ttl }),
  ],
  ['memory', (ttl: number) => memoryCartStore({ idleTtlMs: ttl })],
])('%s cart store', (_name, open) => {
  const store = open(60_000);
  stores.push(store);
  const cart = () => `g:${randomUUID()}`;

  it('adds up a line within the bounds, refusing past the limit, the stock and the line count', async () => {
    const c = cart();
    const [a, b, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    expect(await store.add(c, a, 3, bounds)).toEqual({ ok: true, quantity: 3 });
    expect(await store.add(c, a, 4, bounds)).toEqual({ ok: true, quantity: 7 });
    expect(await store.add(c, a, 2, bounds)).toEqual({ ok: false, problem: 'above_stock', current: 7 });
    expect(await store.add(c, a, 4, { ...bounds, available: 100 })).toEqual({
      ok: false,
      problem: 'above_limit',
      current: 7,
    });
    await store.add(c, b, 1, bounds);
    await store.add(c, d, 1, bounds);
    expect(await store.add(c, e, 1, bounds)).toEqual({ ok: false, problem: 'too_many_lines', current: 0 });
    const lines = await store.lines(c);
    expect(lines.map((l) => [l.productId, l.quantity])).toEqual(
      expect.arrayContaining([
        [a, 7],
        [b, 1],
        [d, 1],
      ]),
    );
    expect(lines).toHaveLength(3);
  });

  it('changes only lines that exist, and removes and clears', async () => {
    const c = cart();
    const a = randomUUID();
    expect(await store.change(c, a, 2, bounds)).toEqual({ ok: false, problem: 'absent', current: 0 });
    await store.add(c, a, 1, bounds);
    expect(await store.change(c, a, 6, bounds)).toEqual({ ok: true, quantity: 6 });
    expect(await store.change(c, a, 9, bounds)).toMatchObject({ ok: false, problem: 'above_stock' });
    await store.remove(c, a);
    expect(await store.lines(c)).toEqual([]);
    await store.add(c, a, 1, bounds);
    await store.clear(c);
    expect(await store.lines(c)).toEqual([]);
  });

  it('merges a guest cart: quantities add up to the cap, never lowering the user’s own, guest cart gone', async () => {
    const guest = cart();
    const user = `u:${randomUUID()}`;
    const [both, guestOnly, gone] = [randomUUID(), randomUUID(), randomUUID()];
    await store.add(user, both, 4, bounds);
    await store.add(guest, both, 5, bounds);
    await store.add(guest, guestOnly, 7, bounds);
    await store.add(guest, gone, 1, bounds);
    await store.merge(
      guest,
      user,
      new Map([
        [both, 6],
        [guestOnly, 3],
        [gone, 0],
      ]),
      10,
    );
    const lines = await store.lines(user);
    expect(Object.fromEntries(lines.map((l) => [l.productId, l.quantity]))).toEqual({ [both]: 6, [guestOnly]: 3 });
    expect(await store.lines(guest)).toEqual([]);
    // a cap below what the user already has keeps the user's quantity
    const guest2 = cart();
    await store.add(guest2, both, 1, bounds);
    await store.merge(guest2, user, new Map([[both, 2]]), 10);
    expect((await store.lines(user)).find((l) => l.productId === both)?.quantity).toBe(6);
  });

  it('takes ordered units out once per event id', async () => {
    const c = `u:${randomUUID()}`;
    const [a, b] = [randomUUID(), randomUUID()];
    await store.add(c, a, 3, bounds);
    await store.add(c, b, 2, bounds);
    const eventId = randomUUID();
    const ordered = [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 1 },
    ];
    expect(await store.removeOrdered(c, eventId, ordered)).toBe(true);
    expect(await store.removeOrdered(c, eventId, ordered)).toBe(false);
    expect((await store.lines(c)).map((l) => [l.productId, l.quantity])).toEqual([[b, 1]]);
  });

  it('keeps the newest news of a product', async () => {
    const p = view({ version: 2000, stock: 5 });
    expect(await store.putProduct(p)).toBe(true);
    expect(await store.putProduct({ ...p, version: 1000, stock: 1 })).toBe(false);
    expect((await store.products([p.productId])).get(p.productId)?.stock).toBe(5);
    expect(await store.putProduct({ ...p, version: 3000, stock: 2, name: 'Lamp II' })).toBe(true);
    const got = (await store.products([p.productId, randomUUID()])).get(p.productId);
    expect(got).toMatchObject({ stock: 2, name: 'Lamp II' });
    expect((await store.products([randomUUID()])).size).toBe(0);
  });

  it('forgets a cart left idle past its time-to-live', async () => {
    const short = open(1000);
    stores.push(short);
    const c = cart();
    await short.add(c, randomUUID(), 1, bounds);
    expect(await short.lines(c)).toHaveLength(1);
    // reading is activity too: stay away past the time-to-live, then look
    await new Promise((r) => setTimeout(r, 1300));
    expect(await short.lines(c)).toEqual([]);
  });
});
