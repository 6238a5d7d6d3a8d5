// The cart API on real Redis and RabbitMQ: guests and users, the product read model fed by events, limits, merge, clean-up.
import { randomUUID } from 'node:crypto';
import { RedisCache } from '@microbazaar/kit';
import { eventually, TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartRecords } from '../src/store/carts.js';
import { productRecords } from '../src/store/products.js';
import { type CartHarness, startCartHarness } from './harness.js';

let h: CartHarness;
const WAIT = 10_000;

beforeAll(async () => {
  h = await startCartHarness('cart');
});
afterAll(() => h?.close());

type Who = { token?: string; cartId?: string; cookie?: string };

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Who = {}, payload?: object) {
  return h.app.inject({
    method,
    url,
    headers: {
      ...(who.token ? { authorization: `Bearer ${who.token}` } : {}),
      ...(who.cartId ? { 'x-cart-id': who.cartId } : {}),
      ...(who.cookie ? { cookie: who.cookie } : {}),
    },
    ...(payload ? { payload } : {}),
  });
}

const items = (cart: { items: Array<{ productId: string; quantity: number }> }) =>
  cart.items.map((i) => [i.productId, i.quantity]);

/** A guest cart id as guests get them: issued by the service (an id made up by the client is not used). */
async function guestCart(app = h.app): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/api/cart' });
  return res.headers['x-cart-id'] as string;
}

/** A product the read model knows (its product.created has been consumed). */
async function known(over: Parameters<CartHarness['product']>[0] = {}) {
  const p = await h.product(over);
  await eventually(
    async () => expect((await productRecords(h.db).find([p.productId])).has(p.productId)).toBe(true),
    WAIT,
  );
  return p;
}

describe('guest carts', () => {
  it('a guest gets a cart id in x-cart-id and an HttpOnly cookie; either one finds the cart again', async () => {
    const lamp = await known({ name: 'Desk lamp', price: { amount: 1999, currency: 'USD' }, stock: 5 });
    const first = await call('POST', '/api/cart/items', {}, { productId: lamp.productId, quantity: 2 });
    expect(first.statusCode).toBe(200);
    const cartId = first.headers['x-cart-id'] as string;
    expect(cartId).toMatch(/^[0-9a-f-]{36}$/);
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toContain(`cart_id=${cartId}`);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(first.json()).toEqual({
      id: cartId,
      userId: null,
      items: [
        {
          productId: lamp.productId,
          name: 'Desk lamp',
          unitPrice: { amount: 1999, currency: 'USD' },
          quantity: 2,
          available: 5,
        },
      ],
      subtotal: { amount: 3998, currency: 'USD' },
    });
    const byHeader = await call('GET', '/api/cart', { cartId });
    const byCookie = await call('GET', '/api/cart', { cookie: `cart_id=${cartId}` });
    expect(byHeader.json().items).toHaveLength(1);
    expect(byCookie.json()).toEqual(byHeader.json());
    // a stranger's new cart is empty
    const other = await call('GET', '/api/cart');
    expect(other.json().items).toEqual([]);
    expect(other.headers['x-cart-id']).not.toBe(cartId);
    expect((await call('GET', '/api/cart', { cartId: 'not-a-uuid' })).statusCode).toBe(400);
  });

  it('adds to an existing line, changes, removes and clears', async () => {
    const a = await known({ price: { amount: 500, currency: 'USD' } });
    const b = await known({ price: { amount: 250, currency: 'USD' } });
    const cartId = await guestCart();
    await call('POST', '/api/cart/items', { cartId }, { productId: a.productId, quantity: 1 });
    await call('POST', '/api/cart/items', { cartId }, { productId: b.productId, quantity: 1 });
    const added = await call('POST', '/api/cart/items', { cartId }, { productId: a.productId, quantity: 2 });
    expect(added.json().items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity])).toEqual([
      [a.productId, 3],
      [b.productId, 1],
    ]);
    expect(added.json().subtotal.amount).toBe(3 * 500 + 250);
    const changed = await call('PATCH', `/api/cart/items/${b.productId}`, { cartId }, { quantity: 4 });
    expect(changed.json().items[1].quantity).toBe(4);
    const removed = await call('DELETE', `/api/cart/items/${a.productId}`, { cartId });
    expect(removed.json().items.map((i: { productId: string }) => i.productId)).toEqual([b.productId]);
    expect((await call('PATCH', `/api/cart/items/${a.productId}`, { cartId }, { quantity: 1 })).statusCode).toBe(404);
    expect((await call('DELETE', '/api/cart', { cartId })).statusCode).toBe(204);
    expect((await call('GET', '/api/cart', { cartId })).json().items).toEqual([]);
  });

  it('quantity ≤ 0 or above the limit → 400; above stock → 409; unknown product → 404', async () => {
    const p = await known({ stock: 3 });
    const cartId = await guestCart();
    for (const quantity of [0, -2, 1.5]) {
      const res = await call('POST', '/api/cart/items', { cartId }, { productId: p.productId, quantity });
      expect(res.statusCode).toBe(400);
    }
    const plenty = await known({ stock: 1000 });
    const tooMany = await call(
      'POST',
      '/api/cart/items',
      { cartId },
      { productId: plenty.productId, quantity: h.config.CART_MAX_QUANTITY + 1 },
    );
    expect(tooMany.statusCode).toBe(400);
    await call(
      'POST',
      '/api/cart/items',
      { cartId },
      { productId: plenty.productId, quantity: h.config.CART_MAX_QUANTITY },
    );
    expect(
      (await call('POST', '/api/cart/items', { cartId }, { productId: plenty.productId, quantity: 1 })).statusCode,
    ).toBe(400);
    const short = await call('POST', '/api/cart/items', { cartId }, { productId: p.productId, quantity: 4 });
    expect(short.statusCode).toBe(409);
    expect(short.json().error).toMatchObject({ code: 'INSUFFICIENT_STOCK', message: `Only 3 of ${p.name} available` });
    const unknown = await call('POST', '/api/cart/items', { cartId }, { productId: randomUUID(), quantity: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PRODUCT_NOT_FOUND');
    expect(
      (await call('POST', '/api/cart/items', { cartId }, { productId: p.productId, quantity: 1, price: 1 })).statusCode,
    ).toBe(400);
  });
});

describe('the product read model', () => {
  it('lines show the current name, price and availability from product.* events, without asking the catalog', async () => {
    const p = await known({ name: 'Chair', price: { amount: 4000, currency: 'USD' }, stock: 4 });
    const cartId = await guestCart();
    await call('POST', '/api/cart/items', { cartId }, { productId: p.productId, quantity: 2 });
    const callsBefore = h.catalog.calls.length;
    await h.emit('product.updated', {
      ...p,
      name: 'Office chair',
      price: { amount: 3500, currency: 'USD' },
      stock: 1,
      changed: ['name', 'price', 'stock'],
    });
    await eventually(async () => {
      const line = (await call('GET', '/api/cart', { cartId })).json().items[0];
      expect(line).toMatchObject({
        name: 'Office chair',
        unitPrice: { amount: 3500, currency: 'USD' },
        quantity: 2,
        available: 1,
      });
    }, WAIT);
    // an older update arriving late does not undo the newer one
    await h.emit('product.updated', { ...p, name: 'Stale chair', stock: 9 }, new Date(Date.now() - 60_000));
    await h.emit('product.deleted', { productId: p.productId, sellerId: p.sellerId, slug: p.slug });
    await eventually(
      async () => expect((await call('GET', '/api/cart', { cartId })).json().items[0].available).toBe(0),
      WAIT,
    );
    expect((await call('GET', '/api/cart', { cartId })).json().items[0].name).toBe('Office chair');
    expect(h.catalog.calls.length).toBe(callsBefore);
    // a deleted product cannot be added
    expect(
      (await call('POST', '/api/cart/items', { cartId: randomUUID() }, { productId: p.productId, quantity: 1 }))
        .statusCode,
    ).toBe(404);
  });

  it('a product older than this service is read once from the catalog, then from the read model', async () => {
    const id = randomUUID();
    h.catalog.products.set(id, {
      id,
      name: 'Vintage radio',
      price: { amount: 12_000, currency: 'USD' },
      stock: 2,
      sellerId: randomUUID(),
      slug: 'vintage-radio',
      status: 'active',
    });
    const cartId = await guestCart();
    const res = await call('POST', '/api/cart/items', { cartId }, { productId: id, quantity: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0]).toMatchObject({ name: 'Vintage radio', available: 2 });
    await call('GET', '/api/cart', { cartId });
    await call('GET', '/api/cart', { cartId });
    expect(h.catalog.calls.filter((c) => c === id)).toHaveLength(1);
    const archived = randomUUID();
    h.catalog.products.set(archived, { ...h.catalog.products.get(id)!, id: archived, status: 'archived' });
    const refused = await call('POST', '/api/cart/items', { cartId }, { productId: archived, quantity: 1 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('PRODUCT_UNAVAILABLE');
  });
});

describe('guest cart ids', () => {
  it('are issued by the service: a client-chosen UUID is never used, the answer names a new id', async () => {
    const p = await known();
    const chosen = randomUUID();
    const res = await call('POST', '/api/cart/items', { cartId: chosen }, { productId: p.productId, quantity: 1 });
    expect(res.statusCode).toBe(200);
    const issued = res.headers['x-cart-id'] as string;
    expect(issued).not.toBe(chosen);
    expect(res.json().id).toBe(issued);
    expect(String(res.headers['set-cookie'])).toContain(`cart_id=${issued}`);
    // nothing was stored under the chosen id, and the same goes for a chosen cookie
    expect(await cartRecords(h.db).find(`g:${chosen}`)).toBeUndefined();
    const byCookie = await call('GET', '/api/cart', { cookie: `cart_id=${chosen}` });
    expect(byCookie.headers['x-cart-id']).not.toBe(chosen);
    expect(byCookie.json().items).toEqual([]);
    // the issued id finds the cart
    expect((await call('GET', '/api/cart', { cartId: issued })).json().items).toHaveLength(1);
  });

  it('merging a made-up id merges nothing', async () => {
    const token = await h.issuer.sign(randomUUID());
    const res = await call('POST', '/api/cart/merge', { token }, { cartId: randomUUID() });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([]);
  });
});

describe('user carts', () => {
  it('a token selects the user’s cart, whatever cart id comes with it; a bad token is 401', async () => {
    const userId = randomUUID();
    const token = await h.issuer.sign(userId);
    const p = await known();
    const res = await call(
      'POST',
      '/api/cart/items',
      { token, cartId: randomUUID() },
      { productId: p.productId, quantity: 1 },
    );
    expect(res.json()).toMatchObject({ id: userId, userId });
    expect(res.headers['x-cart-id']).toBeUndefined();
    expect((await call('GET', '/api/cart', { token })).json().items).toHaveLength(1);
    expect((await call('GET', '/api/cart', { token: 'nope.nope.nope' })).statusCode).toBe(401);
  });

  it('merge: guest lines join the user’s, quantities add capped by stock, and the guest cart is gone', async () => {
    const userId = randomUUID();
    const token = await h.issuer.sign(userId);
    const both = await known({ stock: 5 });
    const guestOnly = await known({ stock: 10 });
    const guestId = await guestCart();
    await call('POST', '/api/cart/items', { token }, { productId: both.productId, quantity: 3 });
    await call('POST', '/api/cart/items', { cartId: guestId }, { productId: both.productId, quantity: 4 });
    await call('POST', '/api/cart/items', { cartId: guestId }, { productId: guestOnly.productId, quantity: 2 });
    const merged = await call('POST', '/api/cart/merge', { token }, { cartId: guestId });
    expect(merged.statusCode).toBe(200);
    expect(merged.json().userId).toBe(userId);
    expect(merged.json().items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity])).toEqual([
      [both.productId, 5],
      [guestOnly.productId, 2],
    ]);
    expect(String(merged.headers['set-cookie'])).toMatch(/cart_id=;/);
    expect((await call('GET', '/api/cart', { cartId: guestId })).json().items).toEqual([]);
    // merging again (a retried request) changes nothing
    expect((await call('POST', '/api/cart/merge', { token }, { cartId: guestId })).json().items).toEqual(
      merged.json().items,
    );
    expect((await call('POST', '/api/cart/merge', {}, { cartId: guestId })).statusCode).toBe(401);
  });

  it('order.confirmed takes the ordered units out of the buyer’s cart, once', async () => {
    const userId = randomUUID();
    const token = await h.issuer.sign(userId);
    const a = await known();
    const b = await known();
    await call('POST', '/api/cart/items', { token }, { productId: a.productId, quantity: 2 });
    await call('POST', '/api/cart/items', { token }, { productId: b.productId, quantity: 3 });
    const before = await h.consumed('order.confirmed');
    const confirmed = await h.emit('order.confirmed', {
      orderId: randomUUID(),
      userId,
      items: [
        { productId: a.productId, quantity: 2, unitPrice: { amount: 1000, currency: 'USD' } },
        { productId: b.productId, quantity: 1, unitPrice: { amount: 1000, currency: 'USD' } },
      ],
      total: { amount: 3000, currency: 'USD' },
    });
    await eventually(async () => {
      const items = (await call('GET', '/api/cart', { token })).json().items;
      expect(items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity])).toEqual([
        [b.productId, 2],
      ]);
    }, WAIT);
    const once = await eventually(async () => {
      const now = await h.consumed('order.confirmed');
      expect(now.handled).toBe(before.handled + 1);
      return now;
    }, WAIT);
    // the redelivery: wait until cart_queue has consumed it, then check it changed nothing
    await h.platform.publish([confirmed]);
    await eventually(async () => {
      const now = await h.consumed('order.confirmed');
      expect(now.handled + now.skipped).toBe(once.handled + once.skipped + 1);
    }, WAIT);
    expect(await h.consumed('order.confirmed')).toEqual({ ...once, skipped: once.skipped + 1 });
    expect((await call('GET', '/api/cart', { token })).json().items[0].quantity).toBe(2);
  });
});

describe('idle carts', () => {
  it('a guest cart expires after CART_IDLE_TTL_SECONDS and the sweeper deletes it; a user’s cart stays', async () => {
    const short = await startCartHarness('cartttl', { CART_IDLE_TTL_SECONDS: '1', CART_SWEEP_INTERVAL_MS: '200' });
    try {
      const p = await short.product();
      await eventually(async () => expect((await productRecords(short.db).find([p.productId])).size).toBe(1), WAIT);
      const cartId = await guestCart();
      const added = await short.app.inject({
        method: 'POST',
        url: '/api/cart/items',
        headers: { 'x-cart-id': cartId },
        payload: { productId: p.productId, quantity: 1 },
      });
      expect(added.json().items).toHaveLength(1);
      expect(String(added.headers['set-cookie'])).toContain('Max-Age=1');
      const userId = randomUUID();
      const token = await short.issuer.sign(userId);
      const mine = await short.app.inject({
        method: 'POST',
        url: '/api/cart/items',
        headers: { authorization: `Bearer ${token}` },
        payload: { productId: p.productId, quantity: 2 },
      });
      expect(mine.statusCode).toBe(200);
      // the sweeper deleted the idle guest cart's record (so the time-to-live has passed)
      await eventually(async () => expect(await cartRecords(short.db).find(`g:${cartId}`)).toBeUndefined(), WAIT);
      const later = await short.app.inject({ url: '/api/cart', headers: { 'x-cart-id': cartId } });
      expect(later.json().items).toEqual([]);
      const user = await short.app.inject({ url: '/api/cart', headers: { authorization: `Bearer ${token}` } });
      expect(user.json().items).toMatchObject([{ productId: p.productId, quantity: 2 }]);
    } finally {
      await short.close();
    }
  });
});

describe('the record in PostgreSQL', () => {
  it('a flushed cache loses no cart: guest and user carts and the product read model come back from the record', async () => {
    const a = await known({ name: 'Kettle', price: { amount: 2500, currency: 'USD' }, stock: 7 });
    const b = await known({ name: 'Teapot', price: { amount: 1800, currency: 'USD' } });
    const cartId = await guestCart();
    await call('POST', '/api/cart/items', { cartId }, { productId: a.productId, quantity: 2 });
    await call('POST', '/api/cart/items', { cartId }, { productId: b.productId, quantity: 1 });
    const userId = randomUUID();
    const token = await h.issuer.sign(userId);
    await call('POST', '/api/cart/items', { token }, { productId: b.productId, quantity: 3 });
    const guestBefore = (await call('GET', '/api/cart', { cartId })).json();
    const userBefore = (await call('GET', '/api/cart', { token })).json();
    expect(guestBefore.items).toHaveLength(2);
    const calls = h.catalog.calls.length;

    await h.flushCache(); // every key of this service, as a FLUSHALL or a Redis restart would leave it

    expect((await call('GET', '/api/cart', { cartId })).json()).toEqual(guestBefore);
    expect((await call('GET', '/api/cart', { token })).json()).toEqual(userBefore);
    // and they go on from there, without asking the catalog again
    const more = await call('POST', '/api/cart/items', { cartId }, { productId: a.productId, quantity: 1 });
    expect(more.json().items[0]).toMatchObject({ productId: a.productId, name: 'Kettle', quantity: 3, available: 7 });
    expect(h.catalog.calls.length).toBe(calls);
  });

  it('a cart kept in Redis before the upgrade (the old hash shape) is recorded on its first read', async () => {
    const p = await known({ stock: 9 });
    const userId = randomUUID();
    const token = await h.issuer.sign(userId);
    const redis = new RedisCache(TEST_REDIS_URL, h.config.CART_KEY_PREFIX);
    try {
      await redis.ping();
      await redis.client.hset(`c:u:${userId}`, p.productId, `4:${Date.now()}`);
    } finally {
      await redis.close();
    }
    expect(items((await call('GET', '/api/cart', { token })).json())).toEqual([[p.productId, 4]]);
    expect((await cartRecords(h.db).find(`u:${userId}`))?.lines).toMatchObject([
      { productId: p.productId, quantity: 4 },
    ]);
    await h.flushCache();
    const more = await call('POST', '/api/cart/items', { token }, { productId: p.productId, quantity: 1 });
    expect(items(more.json())).toEqual([[p.productId, 5]]);
  });

  it('two writers of one cart both land: a change made meanwhile is read again, never overwritten', async () => {
    const products = await Promise.all([1, 2, 3, 4, 5, 6].map(() => known({ stock: 50 })));
    const token = await h.issuer.sign(randomUUID());
    const results = await Promise.all(
      products.flatMap((p) =>
        [1, 2].map(() => call('POST', '/api/cart/items', { token }, { productId: p.productId, quantity: 1 })),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
    const items = (await call('GET', '/api/cart', { token })).json().items as Array<{ quantity: number }>;
    expect(items.map((i) => i.quantity)).toEqual(products.map(() => 2));
    await h.flushCache();
    expect(((await call('GET', '/api/cart', { token })).json().items as unknown[]).length).toBe(products.length);
  });
});

describe('operations', () => {
  it('documents its routes and reports the database and bus in /health/ready', async () => {
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/cart',
      '/api/cart/items',
      '/api/cart/items/{productId}',
      '/api/cart/merge',
    ]);
    expect((await h.app.inject('/health/ready')).json()).toMatchObject({
      checks: { db: 'ok', bus: 'ok' },
    });
  });
});

describe('the guest cart cookie in production', () => {
  let prod: CartHarness;
  beforeAll(async () => {
    prod = await startCartHarness('cart-prod', {
      NODE_ENV: 'production',
      CART_ID_SECRET: 'a-cart-id-secret-of-32-characters!',
    });
  });
  afterAll(() => prod?.close());

  it('is Secure (and HttpOnly) without anything set', async () => {
    const res = await prod.app.inject({ method: 'GET', url: '/api/cart' });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
  });
});
