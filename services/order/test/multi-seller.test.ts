// An order with lines from two sellers (issue 14.10): each seller reads and fulfils their own lines only,
// and the order is shipped or delivered, once, when all its lines are.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AnyEvent } from '@microbazaar/contracts';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let h: OrderHarness;
const WAIT = 15_000;

beforeAll(async () => {
  h = await startOrderHarness('multi_seller');
});
afterAll(() => h?.close());

type Actor = { userId: string; token: string };
type Line = { productId: string; fulfilment: string; lineTotal: { amount: number }; carrier?: string };
type OrderBody = { id: string; status: string; items: Line[]; total: { amount: number; currency: string } };

const get = (id: string, who: Actor) =>
  h.app.inject({ url: `/api/orders/${id}`, headers: { authorization: `Bearer ${who.token}` } });
const act = (id: string, action: string, who: Actor, payload?: object) =>
  h.app.inject({
    method: 'POST',
    url: `/api/orders/${id}/${action}`,
    headers: { authorization: `Bearer ${who.token}` },
    ...(payload ? { payload } : {}),
  });
const publishedFor = (orderId: string, type: AnyEvent['type']) =>
  h.published.filter((e) => e.type === type && (e.data as { orderId: string }).orderId === orderId);

/** A confirmed order of a lamp (2 × 1 000) and a mug (1 × 700) from seller A and a desk (25 000) from seller B. */
async function twoSellerOrder() {
  const [a, b, buyer] = [await customer(h, 'seller'), await customer(h, 'seller'), await customer(h)];
  const usd = (amount: number) => ({ amount, currency: 'USD' });
  const lamp = h.catalog.add({ name: 'Lamp', price: usd(1000), sellerId: a.userId });
  const mug = h.catalog.add({ name: 'Mug', price: usd(700), sellerId: a.userId });
  const desk = h.catalog.add({ name: 'Desk', price: usd(25_000), sellerId: b.userId });
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() },
    payload: {
      shippingAddress: ADDRESS,
      paymentToken: 'tok_ok',
      items: [
        { productId: lamp.id, quantity: 2 },
        { productId: desk.id, quantity: 1 },
        { productId: mug.id, quantity: 1 },
      ],
    },
  });
  expect(res.statusCode).toBe(202);
  const order = res.json() as OrderBody;
  expect(order.total.amount).toBe(27_700);
  expect((await act(order.id, 'ship', a)).statusCode).toBe(409); // not paid yet
  await h.emit('payment.succeeded', { orderId: order.id, paymentId: randomUUID(), amount: order.total });
  await eventually(async () => expect((await get(order.id, buyer)).json().status).toBe('confirmed'), WAIT);
  return { a, b, buyer, order, lamp, mug, desk };
}

describe('an order from two sellers', () => {
  it('each seller sees only their lines, their total and the shipping address; others get 404', async () => {
    const { a, b, buyer, order, lamp, mug, desk } = await twoSellerOrder();
    const seenByA = (await get(order.id, a)).json();
    expect(seenByA.items.map((l: Line) => l.productId)).toEqual([lamp.id, mug.id]);
    expect(seenByA.total).toEqual({ amount: 2700, currency: 'USD' });
    expect(seenByA.shippingAddress).toEqual(ADDRESS);
    expect(JSON.stringify(seenByA)).not.toContain(desk.id);
    expect(JSON.stringify(seenByA)).not.toContain('25000');
    expect(JSON.stringify(seenByA)).not.toContain('27700');
    const seenByB = (await get(order.id, b)).json();
    expect(seenByB.items.map((l: Line) => l.productId)).toEqual([desk.id]);
    expect(seenByB.total).toEqual({ amount: 25_000, currency: 'USD' });
    expect(seenByB.shippingAddress).toEqual(ADDRESS);
    // the same in their lists
    const listed = async (who: Actor) =>
      (await h.app.inject({ url: '/api/orders?limit=100', headers: { authorization: `Bearer ${who.token}` } }))
        .json()
        .items.find((o: OrderBody) => o.id === order.id);
    expect(await listed(a)).toEqual(seenByA);
    expect(await listed(b)).toEqual(seenByB);
    // the buyer and admins see the whole order
    expect((await get(order.id, buyer)).json().items).toHaveLength(3);
    expect((await get(order.id, await customer(h, 'admin'))).json().total.amount).toBe(27_700);
    // a seller with nothing in it, and a customer who did not buy it: no such order
    for (const stranger of [await customer(h, 'seller'), await customer(h)]) {
      expect((await get(order.id, stranger)).statusCode).toBe(404);
      expect((await act(order.id, 'cancel', stranger)).statusCode).toBe(404);
    }
    expect((await act(order.id, 'ship', await customer(h, 'seller'))).statusCode).toBe(404);
    expect((await act(order.id, 'deliver', await customer(h, 'seller'))).statusCode).toBe(404);
  });

  it("A ships → not shipped yet, B's lines untouched, no cancel; B ships → shipped, order.shipped once", async () => {
    const { a, b, buyer, order, desk } = await twoSellerOrder();
    const first = await act(order.id, 'ship', a, { carrier: 'DHL', trackingNumber: 'A-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json().status).toBe('confirmed');
    expect(first.json().items.map((l: Line) => [l.fulfilment, l.carrier])).toEqual([
      ['shipped', 'DHL'],
      ['shipped', 'DHL'],
    ]);
    expect(first.json().total.amount).toBe(2700);
    // A cannot ship B's lines: nothing of A's is left, and B's desk stays unshipped
    const again = await act(order.id, 'ship', a);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ORDER_STATE_CONFLICT');
    const forB = (await get(order.id, b)).json();
    expect(forB.items).toEqual([expect.objectContaining({ productId: desk.id, fulfilment: 'unshipped' })]);
    expect(JSON.stringify(forB)).not.toContain('A-1');
    // what is left to ship: B's desk, nothing of A's; the buyer's order has a line on its way
    const ids = async (who: Actor, query: string) =>
      (await h.app.inject({ url: `/api/orders?limit=100&${query}`, headers: { authorization: `Bearer ${who.token}` } }))
        .json()
        .items.map((o: OrderBody) => o.id);
    expect(await ids(a, 'fulfilment=unshipped')).not.toContain(order.id);
    expect(await ids(a, 'fulfilment=shipped&status=confirmed')).toContain(order.id);
    expect(await ids(b, 'fulfilment=unshipped')).toContain(order.id);
    expect(await ids(b, 'fulfilment=shipped')).not.toContain(order.id);
    expect(await ids(buyer, 'fulfilment=shipped')).toEqual([order.id]);
    expect(await ids(buyer, 'fulfilment=unshipped')).toEqual([order.id]);
    expect(await ids(buyer, 'fulfilment=delivered')).toEqual([]);
    expect(
      (await h.app.inject({ url: '/api/orders?fulfilment=lost', headers: { authorization: `Bearer ${a.token}` } }))
        .statusCode,
    ).toBe(400);
    // B has not shipped yet, so B cannot mark anything delivered
    expect((await act(order.id, 'deliver', b)).statusCode).toBe(409);
    // a part is on its way: the buyer can no longer cancel
    const cancel = await act(order.id, 'cancel', buyer);
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().error.code).toBe('ORDER_STATE_CONFLICT');

    const second = await act(order.id, 'ship', b, { carrier: 'UPS', trackingNumber: 'B-2' });
    expect(second.statusCode).toBe(200);
    expect(second.json().status).toBe('shipped');
    expect(second.json().items).toEqual([expect.objectContaining({ productId: desk.id, fulfilment: 'shipped' })]);
    const whole = (await get(order.id, buyer)).json();
    expect(whole.status).toBe('shipped');
    expect(whole.items.map((l: Line) => [l.fulfilment, l.carrier])).toEqual([
      ['shipped', 'DHL'],
      ['shipped', 'UPS'],
      ['shipped', 'DHL'],
    ]);
    expect(whole.history.map((e: { status: string; cause: string }) => [e.status, e.cause])).toEqual([
      ['pending', 'checkout'],
      ['confirmed', 'payment.succeeded'],
      ['confirmed', 'shipped by seller (DHL A-1): 2 of 3 lines'],
      ['shipped', 'shipped by seller (UPS B-2)'],
    ]);
    // A's shipment published nothing: the one order.shipped came with B's, naming both parcels
    await eventually(() => expect(publishedFor(order.id, 'order.shipped')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.shipped')[0]?.data).toEqual({
      orderId: order.id,
      userId: buyer.userId,
      shipments: [
        { carrier: 'DHL', trackingNumber: 'A-1' },
        { carrier: 'UPS', trackingNumber: 'B-2' },
      ],
    });
    expect((await act(order.id, 'cancel', buyer)).statusCode).toBe(409);
  });

  it('delivered when both sellers marked their lines delivered, order.delivered once', async () => {
    const { a, b, buyer, order } = await twoSellerOrder();
    expect((await act(order.id, 'ship', a)).statusCode).toBe(200);
    // A's parcel arrived before B shipped: A's lines are delivered, the order still waits for B
    const early = await act(order.id, 'deliver', a);
    expect(early.statusCode).toBe(200);
    expect(early.json().status).toBe('confirmed');
    expect(early.json().items.map((l: Line) => l.fulfilment)).toEqual(['delivered', 'delivered']);
    expect((await act(order.id, 'deliver', a)).statusCode).toBe(409);
    expect((await act(order.id, 'ship', b)).json().status).toBe('shipped');
    const last = await act(order.id, 'deliver', b);
    expect(last.statusCode).toBe(200);
    expect(last.json().status).toBe('delivered');
    expect((await get(order.id, buyer)).json().items.every((l: Line) => l.fulfilment === 'delivered')).toBe(true);
    await eventually(() => expect(publishedFor(order.id, 'order.delivered')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.shipped')).toHaveLength(1);
  });

  it('an admin ships and delivers every line at once; the buyer cancels while nothing shipped', async () => {
    const admin = await customer(h, 'admin');
    const { order } = await twoSellerOrder();
    const shipped = await act(order.id, 'ship', admin, { carrier: 'DPD' });
    expect(shipped.json()).toMatchObject({ status: 'shipped', total: { amount: 27_700 } });
    expect(shipped.json().items.map((l: Line) => l.fulfilment)).toEqual(['shipped', 'shipped', 'shipped']);
    expect((await act(order.id, 'deliver', admin)).json().status).toBe('delivered');
    await eventually(() => expect(publishedFor(order.id, 'order.shipped')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.shipped')[0]?.data).toMatchObject({ carrier: 'DPD' });

    const { buyer, order: other } = await twoSellerOrder();
    const cancelled = await act(other.id, 'cancel', buyer);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
  });

  it('orders stored before lines had their own fulfilment read as their status says, and move on', async () => {
    const [seller, buyer] = [await customer(h, 'seller'), await customer(h)];
    const line = { productId: randomUUID(), sellerId: seller.userId, name: 'Old lamp', quantity: 1 };
    const money = { unitPrice: { amount: 500, currency: 'USD' }, lineTotal: { amount: 500, currency: 'USD' } };
    const insert = async (status: string) => {
      const id = randomUUID();
      await h.db.query(
        `INSERT INTO orders (id, user_id, status, items, seller_ids, total_amount, currency, shipping_address, history,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4::text::jsonb, ARRAY[$5::uuid], 500, 'USD', $6::text::jsonb, $7::text::jsonb, now(), now())`,
        [
          id,
          buyer.userId,
          status,
          JSON.stringify([{ ...line, ...money }]),
          seller.userId,
          JSON.stringify(ADDRESS),
          JSON.stringify([{ status, at: new Date().toISOString(), cause: 'before 0002' }]),
        ],
      );
      return id;
    };
    // a row of an older release read as it is (no migration yet), and the migration's rewrite of others
    const unmigrated = await insert('shipped');
    expect((await get(unmigrated, seller)).json().items[0].fulfilment).toBe('shipped');
    const toDeliver = await h.app.inject({
      url: '/api/orders?fulfilment=shipped',
      headers: { authorization: `Bearer ${seller.token}` },
    });
    expect(toDeliver.json().items.map((o: OrderBody) => o.id)).toEqual([unmigrated]);
    const rows = {
      confirmed: await insert('confirmed'),
      shipped: await insert('shipped'),
      refunded: await insert('refunded'),
    };
    await h.db.query(readFileSync(new URL('../migrations/0002_line_fulfilment.sql', import.meta.url), 'utf8'));
    const stored = async (id: string) =>
      (await h.db.query<{ f: string }>(`SELECT items->0->>'fulfilment' AS f FROM orders WHERE id = $1`, [id]))[0]?.f;
    expect(await stored(rows.confirmed)).toBe('unshipped');
    expect(await stored(rows.shipped)).toBe('shipped');
    expect(await stored(rows.refunded)).toBe('delivered');
    expect((await act(rows.shipped, 'deliver', seller)).json().status).toBe('delivered');
    expect((await act(rows.confirmed, 'ship', seller)).json().status).toBe('shipped');
  });
});
