// Reading and acting on orders: buyer, seller and admin rights, cursor pages, cancel/ship/deliver/refund and their events.
import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '@microbazaar/contracts';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let h: OrderHarness;
const WAIT = 15_000;

beforeAll(async () => {
  h = await startOrderHarness('lifecycle');
});
afterAll(() => h?.close());

type Actor = { userId: string; token: string };

async function place(buyer: Actor, sellerId: string, price = 1000) {
  const p = h.catalog.add({ price: { amount: price, currency: 'USD' }, sellerId });
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() },
    payload: { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity: 1 }] },
  });
  expect(res.statusCode).toBe(202);
  return res.json() as { id: string; total: { amount: number; currency: string }; status: string };
}

async function confirm(order: { id: string; total: { amount: number; currency: string } }, buyer: Actor) {
  await h.emit('payment.succeeded', { orderId: order.id, paymentId: randomUUID(), amount: order.total });
  await eventually(async () => expect((await get(order.id, buyer)).json().status).toBe('confirmed'), WAIT);
}

const get = (id: string, who: Actor) =>
  h.app.inject({ url: `/api/orders/${id}`, headers: { authorization: `Bearer ${who.token}` } });
const act = (id: string, action: string, who: Actor, payload?: object) =>
  h.app.inject({
    method: 'POST',
    url: `/api/orders/${id}/${action}`,
    headers: { authorization: `Bearer ${who.token}` },
    ...(payload ? { payload } : {}),
  });
const list = (who: Actor, query = '') =>
  h.app.inject({ url: `/api/orders${query}`, headers: { authorization: `Bearer ${who.token}` } });

function publishedFor(orderId: string, type: AnyEvent['type']) {
  return h.published.filter((e) => e.type === type && (e.data as { orderId: string }).orderId === orderId);
}

describe('permissions', () => {
  it("another user's order is 404, to customers and to sellers without products in it", async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const order = await place(buyer, seller.userId);
    const stranger = await customer(h);
    const otherSeller = await customer(h, 'seller');
    for (const who of [stranger, otherSeller]) {
      const res = await get(order.id, who);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('ORDER_NOT_FOUND');
      expect((await act(order.id, 'cancel', who)).statusCode).toBe(404);
    }
    expect((await get(order.id, seller)).statusCode).toBe(200);
    expect((await get(order.id, await customer(h, 'admin'))).statusCode).toBe(200);
    expect((await get(randomUUID(), buyer)).statusCode).toBe(404);
    expect((await get('not-a-uuid', buyer)).statusCode).toBe(400);
    expect((await h.app.inject({ url: `/api/orders/${order.id}` })).statusCode).toBe(401);
  });

  it('a customer cannot ship or deliver (403), not even their own order; only admins refund', async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const order = await place(buyer, seller.userId);
    await confirm(order, buyer);
    expect((await act(order.id, 'ship', buyer)).statusCode).toBe(403);
    expect((await act(order.id, 'deliver', buyer)).statusCode).toBe(403);
    expect((await act(order.id, 'refund', seller)).statusCode).toBe(403);
    // a seller with no product in it is told the order does not exist
    expect((await act(order.id, 'ship', await customer(h, 'seller'))).statusCode).toBe(404);
    expect((await get(order.id, buyer)).json().status).toBe('confirmed');
  });

  it('sellers list the orders containing their products and never the others', async () => {
    const seller = await customer(h, 'seller');
    const otherSeller = await customer(h, 'seller');
    const buyer = await customer(h);
    const mine = [await place(buyer, seller.userId), await place(buyer, seller.userId)];
    const theirs = await place(buyer, otherSeller.userId);
    const ids = (await list(seller)).json().items.map((o: { id: string }) => o.id);
    expect(ids.sort()).toEqual(mine.map((o) => o.id).sort());
    expect(ids).not.toContain(theirs.id);
    const admin = await customer(h, 'admin');
    const all = (await list(admin, '?limit=100')).json().items.map((o: { id: string }) => o.id);
    expect(all).toEqual(expect.arrayContaining([...mine.map((o) => o.id), theirs.id]));
  });
});

describe('listing', () => {
  it('pages through the buyer’s own orders newest first, each exactly once', async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const placed: string[] = [];
    for (let i = 0; i < 7; i++) placed.push((await place(buyer, seller.userId)).id);
    await place(await customer(h), seller.userId);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(buyer, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      seen.push(...page.items.map((o: { id: string }) => o.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...placed].reverse());
    const pending = (await list(buyer, '?status=pending&limit=100')).json().items;
    expect(pending).toHaveLength(7);
    expect((await list(buyer, '?cursor=garbage')).statusCode).toBe(400);
    expect((await list(buyer, '?limit=101')).statusCode).toBe(400);
    expect((await list(buyer, '?limit=0')).statusCode).toBe(400);
  });
});

describe('actions', () => {
  it('the buyer cancels a pending order: cancelled customer, order.cancelled from pending', async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const order = await place(buyer, seller.userId);
    const res = await act(order.id, 'cancel', buyer);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
    expect(res.json().history.at(-1).cause).toBe('cancelled by customer');
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.cancelled')[0]?.data).toMatchObject({
      reason: 'customer',
      previousStatus: 'pending',
    });
    // twice is a state conflict
    expect((await act(order.id, 'cancel', buyer)).statusCode).toBe(409);
  });

  it('cancel after confirm → cancelled with previousStatus confirmed (the payment service refunds on it)', async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const order = await place(buyer, seller.userId);
    await confirm(order, buyer);
    const res = await act(order.id, 'cancel', buyer);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled');
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.cancelled')[0]?.data).toMatchObject({
      previousStatus: 'confirmed',
      total: order.total,
    });
  });

  it('seller ships and delivers, then cancel is a 409; admin refunds a delivered order', async () => {
    const seller = await customer(h, 'seller');
    const buyer = await customer(h);
    const order = await place(buyer, seller.userId, 4321);
    expect((await act(order.id, 'ship', seller)).statusCode).toBe(409); // not paid yet
    await confirm(order, buyer);
    const shipped = await act(order.id, 'ship', seller, { carrier: 'DHL', trackingNumber: 'JD0001' });
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json().status).toBe('shipped');
    expect(shipped.json().history.at(-1).cause).toBe('shipped by seller (DHL JD0001)');
    const cancel = await act(order.id, 'cancel', buyer);
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().error.code).toBe('ORDER_STATE_CONFLICT');
    const admin = await customer(h, 'admin');
    expect((await act(order.id, 'refund', admin)).statusCode).toBe(409); // shipped, not delivered
    expect((await act(order.id, 'deliver', seller)).json().status).toBe('delivered');
    const refunded = await act(order.id, 'refund', admin, { reason: 'arrived broken' });
    expect(refunded.statusCode).toBe(200);
    expect(refunded.json().status).toBe('refunded');
    expect(refunded.json().history.map((e: { status: string }) => e.status)).toEqual([
      'pending',
      'confirmed',
      'shipped',
      'delivered',
      'refunded',
    ]);
    await eventually(() => expect(publishedFor(order.id, 'order.refunded')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.refunded')[0]?.data).toMatchObject({
      userId: buyer.userId,
      amount: { amount: 4321, currency: 'USD' },
      reason: 'arrived broken',
    });
    expect(publishedFor(order.id, 'order.shipped')[0]?.data).toMatchObject({
      carrier: 'DHL',
      trackingNumber: 'JD0001',
    });
    expect(publishedFor(order.id, 'order.delivered')).toHaveLength(1);
  });
});

describe('operations', () => {
  it('documents every route in /openapi.json and reports db and bus in /health/ready', async () => {
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/orders',
      '/api/orders/{id}',
      '/api/orders/{id}/cancel',
      '/api/orders/{id}/deliver',
      '/api/orders/{id}/refund',
      '/api/orders/{id}/ship',
    ]);
    const ready = await h.app.inject('/health/ready');
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { db: 'ok', bus: 'ok' } });
  });
});
