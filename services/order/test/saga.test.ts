// The order's side of the saga on real RabbitMQ: the events product and payment would publish move the order on.
// Every scenario runs twice, with the one-statement fast paths on and off (INBOX_FAST_PATHS), and must end
// in the same states and events.
import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '@microbazaar/contracts';
import { newEvent } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let h: OrderHarness;
const SELLER = randomUUID();
const WAIT = 15_000;

async function place(quantity = 1, price = 1500) {
  const p = h.catalog.add({ price: { amount: price, currency: 'USD' }, sellerId: SELLER });
  const buyer = await customer(h);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() },
    payload: { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: p.id, quantity }] },
  });
  expect(res.statusCode).toBe(202);
  return { order: res.json(), buyer, product: p };
}

async function read(id: string, token: string) {
  const res = await h.app.inject({ url: `/api/orders/${id}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function publishedFor(orderId: string, type: AnyEvent['type']) {
  return h.published.filter((e) => e.type === type && (e.data as { orderId: string }).orderId === orderId);
}

describe.each([
  { fastPaths: 'on', env: {} },
  { fastPaths: 'off', env: { INBOX_FAST_PATHS: 'false' } },
])('order saga, fast paths $fastPaths', ({ fastPaths, env }) => {
  beforeAll(async () => {
    // the sweeper runs every 250 ms and expires orders pending for a minute (tests age an order by hand)
    h = await startOrderHarness(`saga${fastPaths}`, {
      ORDER_PENDING_TIMEOUT_SECONDS: '60',
      ORDER_SWEEP_INTERVAL_MS: '250',
      ...env,
    });
  });
  afterAll(() => h?.close());

  it('payment.succeeded → confirmed, order.confirmed with the payment id; history says why', async () => {
    const { order, buyer } = await place(2);
    const paymentId = randomUUID();
    await h.emit('inventory.reserved', {
      orderId: order.id,
      lines: [{ productId: order.items[0].productId, quantity: 2 }],
    });
    await h.emit('payment.succeeded', { orderId: order.id, paymentId, amount: order.total, provider: 'sandbox' });
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('confirmed'), WAIT);
    const confirmed = await read(order.id, buyer.token);
    expect(confirmed.history.map((e: { status: string; cause: string }) => [e.status, e.cause])).toEqual([
      ['pending', 'checkout'],
      ['confirmed', 'payment.succeeded'],
    ]);
    await eventually(() => expect(publishedFor(order.id, 'order.confirmed')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.confirmed')[0]?.data).toMatchObject({
      orderId: order.id,
      userId: buyer.userId,
      paymentId,
      total: order.total,
      // the buyer's confirmation mail lists the lines by name
      items: [{ productId: order.items[0].productId, name: order.items[0].name, quantity: 2 }],
    });
  });

  it('inventory.rejected → cancelled out_of_stock, order.cancelled from pending', async () => {
    const { order, buyer, product } = await place(5);
    await h.emit('inventory.rejected', {
      orderId: order.id,
      reason: 'insufficient_stock',
      shortLines: [{ productId: product.id, requested: 5, available: 2 }],
    });
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('cancelled'), WAIT);
    const cancelled = await read(order.id, buyer.token);
    expect(cancelled.cancelReason).toBe('out_of_stock');
    expect(cancelled.history.at(-1).cause).toContain('inventory.rejected');
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.cancelled')[0]?.data).toMatchObject({
      reason: 'out_of_stock',
      previousStatus: 'pending',
    });
  });

  it('payment.failed → cancelled payment_failed, and order.cancelled tells product to release the stock', async () => {
    const { order, buyer } = await place();
    await h.emit('payment.failed', {
      orderId: order.id,
      paymentId: randomUUID(),
      amount: order.total,
      reason: 'card_declined',
    });
    await eventually(async () => expect((await read(order.id, buyer.token)).cancelReason).toBe('payment_failed'), WAIT);
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.cancelled')[0]?.data).toMatchObject({
      reason: 'payment_failed',
      items: [{ productId: order.items[0].productId, quantity: 1 }],
    });
  });

  it('payment.refunded is written in the history once, the status unchanged', async () => {
    const { order, buyer } = await place(1, 2599);
    const paymentId = randomUUID();
    await h.emit('payment.succeeded', { orderId: order.id, paymentId, amount: order.total, provider: 'sandbox' });
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('confirmed'), WAIT);
    const cancelled = await h.app.inject({
      method: 'POST',
      url: `/api/orders/${order.id}/cancel`,
      headers: { authorization: `Bearer ${buyer.token}` },
    });
    expect(cancelled.statusCode).toBe(200);
    const refund = newEvent('payment.refunded', {
      orderId: order.id,
      paymentId,
      amount: order.total,
      reason: 'order cancelled',
    });
    const before = await h.consumed('payment.refunded');
    // the same event three times (a broker redelivery)
    await h.platform.publish([refund, refund, refund]);
    // all three consumed (one handled, two skipped as seen) before checking what they did
    await eventually(async () => {
      const now = await h.consumed('payment.refunded');
      expect(now).toEqual({ handled: before.handled + 1, skipped: before.skipped + 2 });
    }, WAIT);
    const after = await read(order.id, buyer.token);
    const refunds = after.history.filter((e: { cause: string }) => e.cause.startsWith('payment.refunded'));
    expect(after.status).toBe('cancelled');
    expect(refunds).toEqual([
      {
        status: 'cancelled',
        at: expect.any(String),
        cause: `payment.refunded: $25.99 (payment ${paymentId}, order cancelled)`,
      },
    ]);
  });

  it('a redelivered event is handled once; a late payment for a cancelled order changes nothing', async () => {
    const { order, buyer, product } = await place();
    const rejected = newEvent('inventory.rejected', {
      orderId: order.id,
      reason: 'insufficient_stock',
      shortLines: [{ productId: product.id, requested: 1, available: 0 }],
    });
    // the same event three times (a broker redelivery) and a payment that arrives after the cancel
    const before = await h.consumed('inventory.rejected');
    await h.platform.publish([rejected, rejected, rejected]);
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('cancelled'), WAIT);
    // all three copies were taken (one handled, the others skipped) before anything is asserted about them
    await eventually(async () => {
      const now = await h.consumed('inventory.rejected');
      expect(now.handled + now.skipped).toBeGreaterThanOrEqual(before.handled + before.skipped + 3);
    }, WAIT);
    await h.emit('payment.succeeded', { orderId: order.id, paymentId: randomUUID(), amount: order.total });
    await eventually(async () => {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM inbox WHERE consumer = 'orders_queue' AND event_type = 'payment.succeeded'
           AND outcome LIKE 'skipped: order is cancelled%'`,
      );
      expect(row?.n).toBeGreaterThanOrEqual(1);
    }, WAIT);
    const after = await read(order.id, buyer.token);
    expect(after.status).toBe('cancelled');
    expect(after.history).toHaveLength(2);
    // the cancel's event is relayed after its commit: wait for it, then check nothing else came
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.confirmed')).toHaveLength(0);
  });

  it('payment.succeeded delivered several times at once and again later confirms once (one-statement step)', async () => {
    const { order, buyer } = await place();
    const paid = newEvent('payment.succeeded', {
      orderId: order.id,
      paymentId: randomUUID(),
      amount: order.total,
      provider: 'sandbox',
    });
    const before = await h.consumed('payment.succeeded');
    // copies in flight together race on the order row; the later copy finds the event in the inbox
    await h.platform.publish([paid, paid, paid]);
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('confirmed'), WAIT);
    await h.platform.publish([paid]);
    await eventually(async () => {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM inbox WHERE consumer = 'orders_queue' AND event_id = $1`,
        [paid.id],
      );
      expect(row?.n).toBe(1);
    }, WAIT);
    await eventually(() => expect(publishedFor(order.id, 'order.confirmed')).toHaveLength(1), WAIT);
    // the late copy consumed (skipped as seen) is the signal that nothing more is coming
    await eventually(async () => {
      const now = await h.consumed('payment.succeeded');
      expect(now.handled - before.handled + now.skipped - before.skipped).toBe(4);
    }, WAIT);
    expect(await h.consumed('payment.succeeded')).toEqual({ handled: before.handled + 1, skipped: before.skipped + 3 });
    const after = await read(order.id, buyer.token);
    expect(after.history).toHaveLength(2);
    expect(publishedFor(order.id, 'order.confirmed')).toHaveLength(1);
  });

  it('inventory.released (expired reservation) cancels a pending order expired', async () => {
    const { order, buyer } = await place();
    await h.emit('inventory.released', {
      orderId: order.id,
      lines: [{ productId: order.items[0].productId, quantity: 1 }],
      reason: 'expired',
    });
    await eventually(async () => expect((await read(order.id, buyer.token)).cancelReason).toBe('expired'), WAIT);
  });

  it('a poison event goes to orders_queue.dlq and the sweeper expires the order instead of leaving it stuck', async () => {
    const { order, buyer } = await place(1, 4200);
    // a payment that does not match the order total can never be applied: it must not confirm, nor block the queue
    const poison = await h.emit('payment.succeeded', {
      orderId: order.id,
      paymentId: randomUUID(),
      amount: { amount: 1, currency: 'USD' },
    });
    // and bytes that are not an event at all
    await h.platform.publishRaw('payments_exchange', 'payment.succeeded', '{"not": "an event"');
    await eventually(async () => {
      const dead = await h.bus.deadLetters.list('orders_queue');
      expect(dead.map((d) => d.reason).sort()).toEqual(['handler_failed', 'invalid_message']);
      expect(dead.find((d) => d.reason === 'handler_failed')?.id).toBe(poison.id);
      expect(dead.find((d) => d.reason === 'handler_failed')?.attempts).toBe(1);
    }, WAIT);
    // pending for longer than ORDER_PENDING_TIMEOUT_SECONDS: the sweeper cancels it
    await h.db.query(`UPDATE orders SET created_at = now() - interval '2 minutes' WHERE id = $1`, [order.id]);
    await eventually(async () => expect((await read(order.id, buyer.token)).status).toBe('cancelled'), WAIT);
    const expired = await read(order.id, buyer.token);
    expect(expired.cancelReason).toBe('expired');
    expect(expired.history.at(-1).cause).toContain('still pending after 60 s');
    await eventually(() => expect(publishedFor(order.id, 'order.cancelled')).toHaveLength(1), WAIT);
    expect(publishedFor(order.id, 'order.cancelled')[0]?.data).toMatchObject({
      reason: 'expired',
      previousStatus: 'pending',
    });
    await h.bus.deadLetters.purge('orders_queue');
  });

  it('the sweeper leaves orders that moved on alone, and two sweepers never expire one order twice', async () => {
    const { order: confirmed, buyer } = await place();
    await h.emit('payment.succeeded', { orderId: confirmed.id, paymentId: randomUUID(), amount: confirmed.total });
    await eventually(async () => expect((await read(confirmed.id, buyer.token)).status).toBe('confirmed'), WAIT);
    const { order: stale } = await place();
    await h.db.query(`UPDATE orders SET created_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`, [
      [confirmed.id, stale.id],
    ]);
    await Promise.all([h.service.orders.expireStale(), h.service.orders.expireStale(), h.service.orders.expireStale()]);
    expect((await read(confirmed.id, buyer.token)).status).toBe('confirmed');
    const [row] = await h.db.query<{ status: string; n: number }>(
      `SELECT status, jsonb_array_length(history)::int AS n FROM orders WHERE id = $1`,
      [stale.id],
    );
    expect(row).toEqual({ status: 'cancelled', n: 2 });
    const [outbox] = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE type = 'order.cancelled' AND payload->'data'->>'orderId' = $1`,
      [stale.id],
    );
    expect(outbox?.n).toBe(1);
  });

  it(`payment.succeeded took the one-statement way ${fastPaths === 'on' ? 'when it could' : 'never'}`, async () => {
    const { order, buyer } = await place();
    const [before, consumed] = [await h.fastPaths('payment.succeeded'), await h.consumed('payment.succeeded')];
    await h.emit('payment.succeeded', { orderId: order.id, paymentId: randomUUID(), amount: order.total });
    // acked: the signal that the delivery went whichever way it went
    await eventually(
      async () => expect((await h.consumed('payment.succeeded')).handled).toBe(consumed.handled + 1),
      WAIT,
    );
    expect((await read(order.id, buyer.token)).status).toBe('confirmed');
    const after = await h.fastPaths('payment.succeeded');
    if (fastPaths === 'on') expect(after.applied).toBe(before.applied + 1);
    else expect(after).toEqual({ applied: 0, fellBack: 0 });
  });
});
