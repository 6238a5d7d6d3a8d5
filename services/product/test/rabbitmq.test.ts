// The product service on a real RabbitMQ: product.* and inventory.* leave through the outbox relay,
// order.* arrive on inventory_queue through the inbox, and the sweeper's releases go out too.
import { randomUUID } from 'node:crypto';
import type { EventOf, EventType } from '@microbazaar/contracts';
import { newEvent } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;
let clock = Date.now();

beforeAll(async () => {
  h = await startHarness(
    'rabbit',
    { RESERVATION_SWEEP_INTERVAL_MS: '100', BUS_RETRY_DELAYS_MS: '100', OUTBOX_SWEEP_INTERVAL_MS: '100' },
    { now: () => new Date(clock), workers: true },
  );
  seller = await h.actor('seller');
});
afterAll(() => h?.close());

const money = { amount: 500, currency: 'USD' };
function orderCreated(productId: string, quantity: number): EventOf<'order.created'> {
  return newEvent('order.created', {
    orderId: randomUUID(),
    userId: randomUUID(),
    items: [{ productId, quantity, unitPrice: money }],
    total: { amount: 500 * quantity, currency: 'USD' },
  });
}
const about = (orderId: string, type: EventType) => h.eventsFor(orderId, type);

async function product(stock: number): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: productBody({ stock }),
    headers: seller.auth,
  });
  return res.json().id;
}

async function available(id: string): Promise<number> {
  return (await h.app.inject({ method: 'GET', url: `/api/products/${id}` })).json().stock;
}

describe('on RabbitMQ', () => {
  it('publishes product.created through the outbox relay to products_exchange', async () => {
    const id = await product(3);
    await eventually(() => {
      const created = h.published.find(
        (e) => e.type === 'product.created' && (e.data as { productId: string }).productId === id,
      );
      expect(created?.data).toMatchObject({ productId: id, stock: 3, sellerId: seller.id });
    }, 10_000);
  });

  it('reserves an order from orders_exchange once, even when it is delivered twice, and answers inventory.reserved', async () => {
    const id = await product(3);
    const order = orderCreated(id, 2);
    await h.platform.publish([order, order]);
    await eventually(() => expect(about(order.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    const [reserved] = about(order.data.orderId, 'inventory.reserved');
    expect(reserved).toMatchObject({ correlationId: order.correlationId, causationId: order.id });
    await eventually(async () => {
      const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox WHERE event_id = $1', [
        order.id,
      ]);
      expect(row?.n).toBe(1);
    });
    // the duplicate was skipped, not reserved again
    expect(await available(id)).toBe(1);
    const stockUpdate = h.published.find((e) => e.type === 'product.updated' && e.causationId === order.id);
    expect(stockUpdate?.data).toMatchObject({ productId: id, stock: 1, changed: ['stock'] });

    const tooMuch = orderCreated(id, 5);
    await h.platform.publish([tooMuch]);
    await eventually(() => expect(about(tooMuch.data.orderId, 'inventory.rejected')).toHaveLength(1), 10_000);
    expect(about(tooMuch.data.orderId, 'inventory.rejected')[0]?.data).toMatchObject({
      shortLines: [{ productId: id, requested: 5, available: 1 }],
    });
  });

  it('releases on order.cancelled and commits on order.confirmed', async () => {
    const id = await product(4);
    const cancelled = orderCreated(id, 1);
    const confirmed = orderCreated(id, 2);
    await h.platform.publish([cancelled, confirmed]);
    await eventually(() => expect(about(confirmed.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    await eventually(() => expect(about(cancelled.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    await h.platform.publish([
      newEvent('order.cancelled', { ...cancelled.data, reason: 'payment_failed' }),
      newEvent('order.confirmed', confirmed.data),
    ]);
    await eventually(() => expect(about(cancelled.data.orderId, 'inventory.released')).toHaveLength(1), 10_000);
    await eventually(async () => {
      const [row] = await h.db.query<{ onHand: number; reserved: number }>(
        'SELECT on_hand AS "onHand", reserved FROM stock WHERE product_id = $1',
        [id],
      );
      expect(row).toEqual({ onHand: 2, reserved: 0 });
    }, 10_000);
  });

  it('the sweeper releases an expired reservation and publishes inventory.released (expired)', async () => {
    const id = await product(2);
    const order = orderCreated(id, 2);
    await h.platform.publish([order]);
    await eventually(() => expect(about(order.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    expect(await available(id)).toBe(0);
    clock += (h.config.RESERVATION_TTL_SECONDS + 1) * 1000;
    await eventually(() => expect(about(order.data.orderId, 'inventory.released')).toHaveLength(1), 10_000);
    expect(about(order.data.orderId, 'inventory.released')[0]).toMatchObject({
      correlationId: order.correlationId,
      data: { reason: 'expired', lines: [{ productId: id, quantity: 2 }] },
    });
    expect(await available(id)).toBe(2);
  });

  it('reports the broker in /health/ready', async () => {
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json().checks).toMatchObject({ bus: 'ok', db: 'ok', storage: 'ok' });
  });
});
