// The checkout saga across separate processes (auth, product, cart, order, payment, gateway) on real
// PostgreSQL, Redis and RabbitMQ, spoken to over HTTP through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelAfterConfirmRefunds, declinedCardCancels, paidOrderConfirms, tooManyIsOutOfStock } from './scenarios.js';
import { type Customer, eventually, Shop } from './shop.js';
import { type Stack, startDistributedStack } from './stack.js';

let stack: Stack;
let shop: Shop;
let seller: Customer;

beforeAll(async () => {
  stack = await startDistributedStack({ label: 'e2esaga' });
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
}, 180_000);
afterAll(() => stack?.stop(), 60_000);

describe('checkout saga (distributed)', () => {
  it(
    'register → cart → order with tok_ok → confirmed, stock down, cart empty',
    () => paidOrderConfirms(shop, seller),
    60_000,
  );
  it('tok_declined → cancelled payment_failed, stock restored', () => declinedCardCancels(shop, seller), 60_000);
  it('quantity above stock → cancelled out_of_stock, stock unchanged', () => tooManyIsOutOfStock(shop, seller), 60_000);
  it(
    'cancel after confirm → cancelled, refund recorded, stock restored',
    () => cancelAfterConfirmRefunds(shop, seller),
    60_000,
  );
});

describe('concurrency', () => {
  it('60 customers ordering the last 10 units at once → 10 confirmed, 50 cancelled out_of_stock, stock 0', async () => {
    const product = await shop.createProduct(seller, { price: 999, stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 60 }, (_, i) => shop.register(`rush${i}`)));
    const placed = await Promise.all(
      buyers.map((b) =>
        shop.placeOrder(b, { paymentToken: 'tok_ok', items: [{ productId: product.id, quantity: 1 }] }),
      ),
    );
    expect(placed.map((p) => p.status)).toEqual(Array(60).fill(202));
    const orders = await Promise.all(placed.map((p, i) => shop.settled(buyers[i] as Customer, p.body.id, 60_000)));
    const outcome = (o: { status: string; cancelReason: string | null }) =>
      `${o.status}${o.cancelReason ? `:${o.cancelReason}` : ''}`;
    const counts = orders.reduce<Record<string, number>>((acc, o) => {
      acc[outcome(o)] = (acc[outcome(o)] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toEqual({ confirmed: 10, 'cancelled:out_of_stock': 50 });
    await eventually(async () => expect(await shop.stock(product.id)).toBe(0));
    // order.confirmed commits each reservation a moment after the order reads confirmed
    await eventually(async () => {
      const onHand = await shop.call('GET', `/api/products/${product.id}/stock`, { token: seller.token });
      expect(onHand.body).toMatchObject({ available: 0, onHand: 0, reserved: 0 });
    }, 15_000);
  }, 120_000);

  it('10 concurrent requests with the same Idempotency-Key → one order', async () => {
    const product = await shop.createProduct(seller, { price: 1500, stock: 50 });
    const buyer = await shop.register();
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        shop.placeOrder(buyer, { paymentToken: 'tok_ok', key, items: [{ productId: product.id, quantity: 2 }] }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const order = await shop.settled(buyer, replies[0]!.body.id);
    expect(order.status).toBe('confirmed');
    const mine = await shop.call('GET', '/api/orders?limit=100', { token: buyer.token });
    expect(mine.body.items).toHaveLength(1);
    await eventually(async () => expect(await shop.stock(product.id)).toBe(48));
    // the same key with another body
    const reused = await shop.placeOrder(buyer, {
      paymentToken: 'tok_ok',
      key,
      items: [{ productId: product.id, quantity: 1 }],
    });
    expect(reused.status).toBe(409);
  }, 60_000);
});

describe('permissions through the gateway', () => {
  it("another user's order is 404; a customer cannot ship; a seller without products in it cannot see it", async () => {
    const product = await shop.createProduct(seller, { price: 800, stock: 5 });
    const buyer = await shop.register();
    const placed = await shop.placeOrder(buyer, {
      paymentToken: 'tok_ok',
      items: [{ productId: product.id, quantity: 1 }],
    });
    const order = await shop.settled(buyer, placed.body.id);
    expect(order.status).toBe('confirmed');

    const stranger = await shop.register('stranger');
    expect((await shop.call('GET', `/api/orders/${order.id}`, { token: stranger.token })).status).toBe(404);
    expect((await shop.payments(stranger, order.id)).status).toBe(404);
    expect((await shop.call('GET', `/api/orders/${order.id}`)).status).toBe(401);

    const ship = await shop.call('POST', `/api/orders/${order.id}/ship`, { token: buyer.token, body: {} });
    expect(ship.status).toBe(403);

    // a second seller, made by the admin, with no product in this order
    const otherSeller = await shop.register('seller2');
    const admin = await shop.call('POST', '/api/auth/login', {
      body: { email: 'admin@microbazaar.local', password: 'admin12345' },
    });
    const promoted = await shop.call('PATCH', `/api/auth/users/${otherSeller.userId}`, {
      token: admin.body.token,
      body: { role: 'seller' },
    });
    expect(promoted.status).toBe(200);
    const relog = await shop.call('POST', '/api/auth/login', {
      body: { email: otherSeller.email, password: 'correct horse battery' },
    });
    const asOtherSeller = relog.body.token as string;
    expect((await shop.call('GET', `/api/orders/${order.id}`, { token: asOtherSeller })).status).toBe(404);
    const theirList = await shop.call('GET', '/api/orders?limit=100', { token: asOtherSeller });
    expect(theirList.body.items.map((o: { id: string }) => o.id)).not.toContain(order.id);

    // the product's seller sees it and ships it
    expect((await shop.call('GET', `/api/orders/${order.id}`, { token: seller.token })).status).toBe(200);
    const shipped = await shop.call('POST', `/api/orders/${order.id}/ship`, {
      token: seller.token,
      body: { carrier: 'UPS' },
    });
    expect(shipped.status).toBe(200);
    expect(shipped.body.status).toBe('shipped');
  }, 60_000);
});
