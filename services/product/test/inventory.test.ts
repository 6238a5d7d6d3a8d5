// The inventory side of the order saga on PostgreSQL, through the kit's inbox as the inventory_queue
// consumer runs it: all-or-nothing reservations, concurrency, redelivery, commit, release, expiry.
import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventOf } from '@microbazaar/contracts';
import { type Delivery, inboxHandler, newEvent } from '@microbazaar/kit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryFastPaths, inventoryHandlers } from '../src/events/handlers.js';
import { type Actor, type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;
let now = new Date('2030-01-01T12:00:00Z');
const TTL_SECONDS = 600;

beforeAll(async () => {
  h = await startHarness('inventory', { RESERVATION_TTL_SECONDS: String(TTL_SECONDS) }, { now: () => now });
  seller = await h.actor('seller');
});
afterAll(() => h?.close());

const silent = pino({ level: 'silent' });

/** One delivery through the inbox, exactly as the inventory_queue consumer hands it over. */
function deliver(event: AnyEvent, attempt = 1) {
  const handle = inboxHandler(h.db, 'inventory_queue', inventoryHandlers(h.service.inventory), {
    fastPaths: inventoryFastPaths(h.service.inventory),
  });
  const delivery: Delivery = {
    event,
    queue: 'inventory_queue',
    attempt,
    redelivered: attempt > 1,
    headers: {},
    log: silent,
  };
  return handle(delivery);
}

async function product(stock: number): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: productBody({ stock }),
    headers: seller.auth,
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

const money = { amount: 1000, currency: 'USD' };
type Line = { productId: string; quantity: number };

function orderCreated(lines: Line[], orderId = randomUUID()): EventOf<'order.created'> {
  return newEvent('order.created', {
    orderId,
    userId: randomUUID(),
    items: lines.map((l) => ({ ...l, unitPrice: money })),
    total: { amount: 1000 * lines.reduce((n, l) => n + l.quantity, 0), currency: 'USD' },
  });
}
const orderConfirmed = (created: EventOf<'order.created'>) =>
  newEvent('order.confirmed', { ...created.data, paymentId: randomUUID() }, { correlationId: created.correlationId });
const orderCancelled = (created: EventOf<'order.created'>, reason: 'customer' | 'payment_failed' = 'customer') =>
  newEvent('order.cancelled', { ...created.data, reason }, { correlationId: created.correlationId });

async function level(productId: string) {
  const [row] = await h.db.query<{ onHand: number; reserved: number }>(
    'SELECT on_hand AS "onHand", reserved FROM stock WHERE product_id = $1',
    [productId],
  );
  return { onHand: row?.onHand, reserved: row?.reserved, available: (row?.onHand ?? 0) - (row?.reserved ?? 0) };
}

async function reservation(orderId: string) {
  const [row] = await h.db.query<{ status: string; reason: string | null }>(
    'SELECT status, reason FROM reservations WHERE order_id = $1',
    [orderId],
  );
  return row;
}

async function eventsFor(type: string, orderId: string) {
  return (await h.outbox(type)).filter((e) => (e.data as { orderId?: string }).orderId === orderId);
}

describe('reserving an order (order.created)', () => {
  it('reserves every line or none: one short line rejects the order and touches no stock', async () => {
    const [a, b] = [await product(5), await product(1)];
    const rejected = orderCreated([
      { productId: a, quantity: 2 },
      { productId: b, quantity: 2 },
    ]);
    expect(await deliver(rejected)).toMatchObject({ status: 'handled' });
    expect(await level(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await level(b)).toEqual({ onHand: 1, reserved: 0, available: 1 });
    expect(await reservation(rejected.data.orderId)).toMatchObject({ status: 'rejected', reason: 'out_of_stock' });
    const [rejection] = await eventsFor('inventory.rejected', rejected.data.orderId);
    expect(rejection).toMatchObject({
      correlationId: rejected.correlationId,
      causationId: rejected.id,
      data: {
        orderId: rejected.data.orderId,
        reason: 'out_of_stock',
        shortLines: [{ productId: b, requested: 2, available: 1 }],
      },
    });
    expect(await eventsFor('inventory.reserved', rejected.data.orderId)).toHaveLength(0);

    const fits = orderCreated([
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ]);
    await deliver(fits);
    expect(await level(a)).toEqual({ onHand: 5, reserved: 2, available: 3 });
    expect(await level(b)).toEqual({ onHand: 1, reserved: 1, available: 0 });
    const [reserved] = await eventsFor('inventory.reserved', fits.data.orderId);
    expect(reserved?.data).toEqual({
      orderId: fits.data.orderId,
      lines: [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
      expiresAt: new Date(now.getTime() + TTL_SECONDS * 1000).toISOString(),
    });
    // the products' read models hear the new available stock
    const updates = (await h.outbox('product.updated')).filter((e) => e.causationId === fits.id);
    expect(updates.map((e) => (e.data as { stock: number; productId: string }).stock).sort()).toEqual([0, 3]);
    expect((await h.app.inject({ method: 'GET', url: `/api/products/${a}` })).json().stock).toBe(3);
  });

  it('adds up a product named twice in one order', async () => {
    const a = await product(3);
    const order = orderCreated([
      { productId: a, quantity: 1 },
      { productId: a, quantity: 2 },
    ]);
    await deliver(order);
    expect(await level(a)).toMatchObject({ reserved: 3, available: 0 });
  });

  it('rejects unknown and archived products as having nothing available', async () => {
    const archived = await product(10);
    await h.app.inject({ method: 'DELETE', url: `/api/products/${archived}`, headers: seller.auth });
    const unknown = randomUUID();
    const order = orderCreated([
      { productId: archived, quantity: 1 },
      { productId: unknown, quantity: 1 },
    ]);
    await deliver(order);
    const [rejection] = await eventsFor('inventory.rejected', order.data.orderId);
    expect((rejection?.data as { shortLines?: unknown[] } | undefined)?.shortLines).toEqual(
      expect.arrayContaining([
        { productId: archived, requested: 1, available: 0 },
        { productId: unknown, requested: 1, available: 0 },
      ]),
    );
    expect(await level(archived)).toMatchObject({ reserved: 0 });
  });

  it('200 concurrent orders of 1 unit against stock 10: exactly 10 reserved, stock 0, never negative', async () => {
    const a = await product(10);
    const orders = Array.from({ length: 200 }, () => orderCreated([{ productId: a, quantity: 1 }]));
    const outcomes = await Promise.all(orders.map((o) => deliver(o)));
    expect(outcomes.every((o) => o?.status === 'handled')).toBe(true);
    expect(await level(a)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    const ids = orders.map((o) => o.data.orderId);
    const [counts] = await h.db.query<{ reserved: number; rejected: number }>(
      `SELECT count(*) FILTER (WHERE status = 'reserved')::int AS reserved,
              count(*) FILTER (WHERE status = 'rejected')::int AS rejected
         FROM reservations WHERE order_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(counts).toEqual({ reserved: 10, rejected: 190 });
    const reservedEvents = (await h.outbox('inventory.reserved')).filter((e) =>
      ids.includes((e.data as { orderId: string }).orderId),
    );
    const rejectedEvents = (await h.outbox('inventory.rejected')).filter((e) =>
      ids.includes((e.data as { orderId: string }).orderId),
    );
    expect([reservedEvents.length, rejectedEvents.length]).toEqual([10, 190]);
    // the reserved column always equals what the open reservations hold
    const [mismatch] = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stock s WHERE s.reserved <> COALESCE((
         SELECT sum(l.quantity) FROM reservation_lines l JOIN reservations r USING (order_id)
          WHERE r.status = 'reserved' AND l.product_id = s.product_id), 0)`,
    );
    expect(mismatch?.n).toBe(0);
  });

  it('a redelivered order.created reserves once (inbox), also when both copies arrive at once', async () => {
    const a = await product(10);
    const order = orderCreated([{ productId: a, quantity: 3 }]);
    expect(await deliver(order)).toMatchObject({ status: 'handled' });
    expect(await deliver(order, 2)).toEqual({ status: 'skipped', reason: 'duplicate' });
    expect(await level(a)).toMatchObject({ reserved: 3 });

    const twice = orderCreated([{ productId: a, quantity: 2 }]);
    const outcomes = await Promise.all([deliver(twice), deliver(twice, 2)]);
    expect(outcomes.map((o) => o?.status).sort()).toEqual(['handled', 'skipped']);
    expect(await level(a)).toMatchObject({ reserved: 5 });
    expect(await eventsFor('inventory.reserved', twice.data.orderId)).toHaveLength(1);

    // the same order re-sent as a new event (a republished outbox row) is recognised by its order id
    const again = { ...order, id: randomUUID() };
    expect(await deliver(again)).toMatchObject({ status: 'skipped', reason: expect.stringContaining('already seen') });
    expect(await level(a)).toMatchObject({ reserved: 5 });
  });
});

describe('confirming and cancelling', () => {
  it('order.confirmed commits: on hand and reserved drop together, once', async () => {
    const a = await product(5);
    const order = orderCreated([{ productId: a, quantity: 2 }]);
    await deliver(order);
    await deliver(orderConfirmed(order));
    expect(await level(a)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'committed' });
    expect(await deliver(orderConfirmed(order))).toMatchObject({ status: 'skipped' });
    expect(await level(a)).toEqual({ onHand: 3, reserved: 0, available: 3 });
  });

  it('the same order.confirmed twice at once, and once more later, commits once', async () => {
    const a = await product(6);
    const b = await product(6);
    const order = orderCreated([
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ]);
    await deliver(order);
    const confirmed = orderConfirmed(order);
    const outcomes = await Promise.all([deliver(confirmed), deliver(confirmed, 2)]);
    expect(outcomes.map((o) => o?.status).sort()).toEqual(['handled', 'skipped']);
    expect(await deliver(confirmed, 3)).toEqual({ status: 'skipped', reason: 'duplicate' });
    expect(await level(a)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await level(b)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'committed' });
  });

  it('order.cancelled releases a reservation and publishes inventory.released', async () => {
    const a = await product(4);
    const order = orderCreated([{ productId: a, quantity: 4 }]);
    await deliver(order);
    expect(await level(a)).toMatchObject({ available: 0 });
    await deliver(orderCancelled(order, 'payment_failed'));
    expect(await level(a)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'released', reason: 'payment_failed' });
    const [released] = await eventsFor('inventory.released', order.data.orderId);
    expect(released?.data).toEqual({
      orderId: order.data.orderId,
      lines: [{ productId: a, quantity: 4 }],
      reason: 'order_cancelled',
    });
    expect(await deliver(orderCancelled(order))).toMatchObject({ status: 'skipped' });
    expect(await level(a)).toMatchObject({ reserved: 0, onHand: 4 });
  });

  it('cancelling a confirmed order puts its units back on hand', async () => {
    const a = await product(5);
    const order = orderCreated([{ productId: a, quantity: 2 }]);
    await deliver(order);
    await deliver(orderConfirmed(order));
    await deliver(orderCancelled(order));
    expect(await level(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'restocked' });
  });

  it('a cancellation of a rejected order changes nothing', async () => {
    const a = await product(1);
    const order = orderCreated([{ productId: a, quantity: 5 }]);
    await deliver(order);
    expect(await deliver(orderCancelled(order))).toMatchObject({ status: 'skipped' });
    expect(await level(a)).toEqual({ onHand: 1, reserved: 0, available: 1 });
    expect(await eventsFor('inventory.released', order.data.orderId)).toHaveLength(0);
  });

  it('a cancellation that overtakes its order.created means the order never reserves', async () => {
    const a = await product(5);
    const order = orderCreated([{ productId: a, quantity: 1 }]);
    expect(await deliver(orderCancelled(order))).toMatchObject({ status: 'handled' });
    expect(await deliver(order)).toMatchObject({ status: 'skipped' });
    expect(await level(a)).toMatchObject({ reserved: 0 });
  });

  it('PUT stock cannot go below what open orders reserved (409), and may go to exactly that', async () => {
    const a = await product(5);
    await deliver(orderCreated([{ productId: a, quantity: 3 }]));
    const put = (quantity: number) =>
      h.app.inject({ method: 'PUT', url: `/api/products/${a}/stock`, payload: { quantity }, headers: seller.auth });
    const below = await put(2);
    expect(below.statusCode).toBe(409);
    expect(below.json().error.code).toBe('STOCK_BELOW_RESERVED');
    const exact = await put(3);
    expect(exact.json()).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
  });
});

describe('reservation expiry', () => {
  it('the sweeper releases expired reservations only, publishes inventory.released in the order chain', async () => {
    const a = await product(6);
    const early = orderCreated([{ productId: a, quantity: 2 }]);
    await deliver(early);
    now = new Date(now.getTime() + 5 * 60_000);
    const later = orderCreated([{ productId: a, quantity: 3 }]);
    await deliver(later);
    expect(await level(a)).toMatchObject({ reserved: 5, available: 1 });

    // 11 minutes after the first: only it has expired
    now = new Date(now.getTime() + 6 * 60_000);
    // what the service's periodic sweep runs
    const sweep = () => h.service.inventory.releaseExpired(() => now);
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    expect(await reservation(early.data.orderId)).toMatchObject({ status: 'expired' });
    expect(await reservation(later.data.orderId)).toMatchObject({ status: 'reserved' });
    expect(await level(a)).toMatchObject({ reserved: 3, available: 3 });
    const [released] = await eventsFor('inventory.released', early.data.orderId);
    expect(released).toMatchObject({
      correlationId: early.correlationId,
      causationId: early.id,
      data: { orderId: early.data.orderId, lines: [{ productId: a, quantity: 2 }], reason: 'expired' },
    });
    expect(await sweep()).toBe(0);
    expect(await eventsFor('inventory.released', early.data.orderId)).toHaveLength(1);
  });

  it('a confirmation after expiry takes the units again when they are still there, else changes nothing', async () => {
    const a = await product(2);
    const order = orderCreated([{ productId: a, quantity: 2 }]);
    await deliver(order);
    await h.db.transaction((tx) =>
      h.service.inventory.releaseExpiredReservations(tx, new Date(now.getTime() + 3600_000)),
    );
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'expired' });
    await deliver(orderConfirmed(order));
    expect(await reservation(order.data.orderId)).toMatchObject({ status: 'committed' });
    expect(await level(a)).toEqual({ onHand: 0, reserved: 0, available: 0 });

    const b = await product(1);
    const late = orderCreated([{ productId: b, quantity: 1 }]);
    await deliver(late);
    await h.db.transaction((tx) =>
      h.service.inventory.releaseExpiredReservations(tx, new Date(now.getTime() + 3600_000)),
    );
    await deliver(orderCreated([{ productId: b, quantity: 1 }]));
    expect(await deliver(orderConfirmed(late))).toMatchObject({ status: 'skipped' });
    expect(await reservation(late.data.orderId)).toMatchObject({ status: 'expired' });
    expect(await level(b)).toEqual({ onHand: 1, reserved: 1, available: 0 });
  });
});
