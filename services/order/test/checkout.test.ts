// Checkout on real PostgreSQL and RabbitMQ: catalog prices, cart lines, idempotency keys, order.created through the outbox.
import { randomUUID } from 'node:crypto';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let h: OrderHarness;
const SELLER = randomUUID();

beforeAll(async () => {
  h = await startOrderHarness('checkout');
});
afterAll(() => h?.close());

function checkout(
  token: string,
  body: object,
  key: string | null = randomUUID(),
  headers: Record<string, string> = {},
) {
  return h.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${token}`, ...(key === null ? {} : { 'idempotency-key': key }), ...headers },
    payload: body,
  });
}

describe('POST /api/orders', () => {
  it('stores the order pending at catalog prices, answers 202 and publishes order.created with the request id', async () => {
    const lamp = h.catalog.add({ name: 'Desk lamp', price: { amount: 1999, currency: 'USD' }, sellerId: SELLER });
    const desk = h.catalog.add({ name: 'Desk', price: { amount: 25_000, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    const res = await checkout(
      buyer.token,
      {
        shippingAddress: ADDRESS,
        paymentToken: 'tok_ok',
        items: [
          { productId: lamp.id, quantity: 2 },
          { productId: desk.id, quantity: 1 },
          { productId: lamp.id, quantity: 1 },
        ],
      },
      randomUUID(),
      { 'x-request-id': 'checkout-req-1' },
    );
    expect(res.statusCode).toBe(202);
    const order = res.json();
    expect(order).toMatchObject({
      userId: buyer.userId,
      status: 'pending',
      cancelReason: null,
      total: { amount: 3 * 1999 + 25_000, currency: 'USD' },
      shippingAddress: ADDRESS,
      items: [
        {
          productId: lamp.id,
          name: 'Desk lamp',
          unitPrice: { amount: 1999, currency: 'USD' },
          quantity: 3,
          lineTotal: { amount: 5997, currency: 'USD' },
        },
        { productId: desk.id, name: 'Desk', quantity: 1, lineTotal: { amount: 25_000, currency: 'USD' } },
      ],
    });
    expect(order.history).toEqual([{ status: 'pending', at: order.createdAt, cause: 'checkout' }]);
    expect(Object.keys(order.items[0]).sort()).toEqual([
      'fulfilment',
      'lineTotal',
      'name',
      'productId',
      'quantity',
      'unitPrice',
    ]);
    expect(order.items.map((i: { fulfilment: string }) => i.fulfilment)).toEqual(['unshipped', 'unshipped']);

    await eventually(
      () => expect(h.published.find((e) => e.type === 'order.created' && e.data.orderId === order.id)).toBeDefined(),
      10_000,
    );
    const created = h.published.find((e) => e.type === 'order.created' && e.data.orderId === order.id);
    expect(created?.correlationId).toBe('checkout-req-1');
    expect(created?.data).toMatchObject({
      userId: buyer.userId,
      total: { amount: 30_997, currency: 'USD' },
      items: [
        { productId: lamp.id, name: 'Desk lamp', quantity: 3, unitPrice: { amount: 1999, currency: 'USD' } },
        { productId: desk.id, name: 'Desk', quantity: 1, unitPrice: { amount: 25_000, currency: 'USD' } },
      ],
    });
    // the token travels in the payment's own event (payment-token.test.ts)
    expect(created?.data).not.toHaveProperty('paymentToken');
  });

  it('never takes a price from the client: a price field is rejected, the catalog price is charged', async () => {
    const p = h.catalog.add({ price: { amount: 5000, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    const sneaky = await checkout(buyer.token, {
      shippingAddress: ADDRESS,
      paymentToken: 'tok_ok',
      items: [{ productId: p.id, quantity: 1, unitPrice: { amount: 1, currency: 'USD' } }],
    });
    expect(sneaky.statusCode).toBe(400);
    expect(sneaky.json().error.details[0]).toEqual({ path: 'body/items/0/unitPrice', message: 'unknown field' });
    // the price changes between two checkouts: each order has the price of its moment
    const first = await checkout(buyer.token, {
      shippingAddress: ADDRESS,
      paymentToken: 'tok_ok',
      items: [{ productId: p.id, quantity: 1 }],
    });
    h.catalog.update(p.id, { price: { amount: 6000, currency: 'USD' } });
    const second = await checkout(buyer.token, {
      shippingAddress: ADDRESS,
      paymentToken: 'tok_ok',
      items: [{ productId: p.id, quantity: 1 }],
    });
    expect(first.json().total.amount).toBe(5000);
    expect(second.json().total.amount).toBe(6000);
  });

  it('takes the lines of the cart when the body names none; an empty cart is a 400', async () => {
    const a = h.catalog.add({ price: { amount: 700, currency: 'USD' }, sellerId: SELLER });
    const b = h.catalog.add({ price: { amount: 300, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    h.cart.set(buyer.userId, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 5 },
    ]);
    const res = await checkout(buyer.token, { shippingAddress: ADDRESS, paymentToken: 'tok_ok' });
    expect(res.statusCode).toBe(202);
    expect(res.json().items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity])).toEqual([
      [a.id, 2],
      [b.id, 5],
    ]);
    expect(res.json().total.amount).toBe(2 * 700 + 5 * 300);

    const empty = await customer(h);
    const none = await checkout(empty.token, { shippingAddress: ADDRESS, paymentToken: 'tok_ok' });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe('CART_EMPTY');
  });

  it('refuses what cannot be sold: unknown product 404, archived product 409, limits and bad input 400', async () => {
    const buyer = await customer(h);
    const body = (items: object[], extra: object = {}) => ({
      shippingAddress: ADDRESS,
      paymentToken: 'tok_ok',
      items,
      ...extra,
    });
    const unknown = await checkout(buyer.token, body([{ productId: randomUUID(), quantity: 1 }]));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PRODUCT_NOT_FOUND');

    const archived = h.catalog.add({ price: { amount: 100, currency: 'USD' }, sellerId: SELLER, status: 'archived' });
    expect((await checkout(buyer.token, body([{ productId: archived.id, quantity: 1 }]))).json().error.code).toBe(
      'PRODUCT_UNAVAILABLE',
    );

    const ok = h.catalog.add({ price: { amount: 100, currency: 'USD' }, sellerId: SELLER });
    for (const quantity of [0, -1, 1.5]) {
      expect((await checkout(buyer.token, body([{ productId: ok.id, quantity }]))).statusCode).toBe(400);
    }
    const tooMany = await checkout(
      buyer.token,
      body([{ productId: ok.id, quantity: h.config.ORDER_MAX_QUANTITY + 1 }]),
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.message).toContain(`At most ${h.config.ORDER_MAX_QUANTITY}`);
    expect(
      (
        await checkout(
          buyer.token,
          body([{ productId: ok.id, quantity: 1 }], { shippingAddress: { ...ADDRESS, country: 'Britain' } }),
        )
      ).statusCode,
    ).toBe(400);
    expect(
      (await checkout(buyer.token, body([{ productId: ok.id, quantity: 1 }], { paymentToken: '' }))).statusCode,
    ).toBe(400);
    expect(
      (await checkout(buyer.token, { ...body([{ productId: ok.id, quantity: 1 }]), coupon: 'FREE' })).statusCode,
    ).toBe(400);
    expect((await checkout(buyer.token, body([]))).statusCode).toBe(400);
  });

  it('needs a token and an Idempotency-Key', async () => {
    const p = h.catalog.add({ price: { amount: 100, currency: 'USD' }, sellerId: SELLER });
    const body = { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity: 1 }] };
    const anonymous = await h.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { 'idempotency-key': 'k' },
      payload: body,
    });
    expect(anonymous.statusCode).toBe(401);
    const buyer = await customer(h);
    const noKey = await checkout(buyer.token, body, null);
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.details[0].path).toBe('headers/idempotency-key');
  });

  it('the catalog being down is a 503 and stores nothing', async () => {
    const p = h.catalog.add({ price: { amount: 100, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    h.catalog.setDown(true);
    try {
      const res = await checkout(buyer.token, {
        shippingAddress: ADDRESS,
        paymentToken: 'tok_ok',
        items: [{ productId: p.id, quantity: 1 }],
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('CATALOG_UNAVAILABLE');
    } finally {
      h.catalog.setDown(false);
    }
    const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [
      buyer.userId,
    ]);
    expect(row?.n).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('same key + same body → the same order; same key + another body → 409', async () => {
    const p = h.catalog.add({ price: { amount: 1200, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    const key = randomUUID();
    const body = { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity: 1 }] };
    const first = await checkout(buyer.token, body, key);
    // the same body with its keys in another order is the same request
    const again = await checkout(
      buyer.token,
      { items: body.items, paymentToken: 'tok_ok', shippingAddress: { ...ADDRESS } },
      key,
    );
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    const other = await checkout(buyer.token, { ...body, items: [{ productId: p.id, quantity: 2 }] }, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // keys belong to their user: another buyer may use the same one
    const someoneElse = await customer(h);
    const theirs = await checkout(someoneElse.token, body, key);
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().id).not.toBe(first.json().id);
  });

  it('a retry gets its order back even when the catalog is down or the cart emptied since', async () => {
    const p = h.catalog.add({ price: { amount: 900, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    const key = randomUUID();
    const body = { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity: 1 }] };
    const first = await checkout(buyer.token, body, key);
    expect(first.statusCode).toBe(202);
    h.catalog.setDown(true);
    try {
      const again = await checkout(buyer.token, body, key);
      expect(again.statusCode).toBe(202);
      expect(again.json().id).toBe(first.json().id);
      // another body under that key is still refused as such, not as a catalog outage
      const other = await checkout(buyer.token, { ...body, items: [{ productId: p.id, quantity: 3 }] }, key);
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    } finally {
      h.catalog.setDown(false);
    }
    // from the cart: the retry comes after the cart was emptied by the confirmation
    const fromCart = { shippingAddress: ADDRESS, paymentToken: 'tok_ok' };
    h.cart.set(buyer.userId, [{ productId: p.id, quantity: 2 }]);
    const cartKey = randomUUID();
    const placed = await checkout(buyer.token, fromCart, cartKey);
    expect(placed.statusCode).toBe(202);
    h.cart.set(buyer.userId, []);
    const retried = await checkout(buyer.token, fromCart, cartKey);
    expect(retried.statusCode).toBe(202);
    expect(retried.json().id).toBe(placed.json().id);
  });

  it('10 concurrent requests with one key make exactly one order and one order.created', async () => {
    const p = h.catalog.add({ price: { amount: 999, currency: 'USD' }, sellerId: SELLER });
    const buyer = await customer(h);
    const key = randomUUID();
    const body = { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity: 1 }] };
    const responses = await Promise.all(Array.from({ length: 10 }, () => checkout(buyer.token, body, key)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    const ids = new Set(responses.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [
      buyer.userId,
    ]);
    expect(row?.n).toBe(1);
    const [outbox] = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE type = 'order.created' AND payload->'data'->>'userId' = $1`,
      [buyer.userId],
    );
    expect(outbox?.n).toBe(1);
  });
});
