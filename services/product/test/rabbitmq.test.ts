// The product service on a real RabbitMQ: product.* and inventory.* leave through the outbox relay,
// order.* arrive on inventory_queue through the inbox, and the sweeper's releases go out too.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AnyEvent, EventOf } from '@microbazaar/contracts';
import { newEvent, RabbitBus } from '@microbazaar/kit';
import { eventually, TEST_RABBITMQ_URL } from '@microbazaar/kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../src/workers.js';
import { type Actor, type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;
let productBus: RabbitBus;
/** the rest of the platform: publishes orders, listens to products_exchange */
let platform: RabbitBus;
let workers: Workers;
const heard: AnyEvent[] = [];
let clock = Date.now();
const prefix = `t_product_${randomBytes(3).toString('hex')}_`;

beforeAll(async () => {
  h = await startHarness(
    'rabbit',
    { RESERVATION_SWEEP_INTERVAL_MS: '100', BUS_RETRY_DELAYS_MS: '100', OUTBOX_SWEEP_INTERVAL_MS: '100' },
    { now: () => new Date(clock) },
  );
  seller = await h.actor('seller');
  productBus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: 'product-test' });
  platform = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: 'platform-test' });
  await platform.subscribe({
    queue: 'watcher_queue',
    bindings: ['product.*', 'inventory.*'],
    handler: async ({ event }) => {
      heard.push(event);
    },
  });
  workers = await startWorkers({
    config: h.config,
    db: h.db,
    bus: productBus,
    logger: pino({ level: 'silent' }),
    inventory: h.built.inventory,
    now: () => new Date(clock),
  });
});

afterAll(async () => {
  await workers?.stop();
  await productBus?.deleteTopology(['inventory_queue']).catch(() => {});
  await platform?.deleteTopology(['watcher_queue']).catch(() => {});
  await productBus?.close();
  await platform?.close();
  await h?.close();
});

const money = { amount: 500, currency: 'USD' };
function orderCreated(productId: string, quantity: number): EventOf<'order.created'> {
  return newEvent('order.created', {
    orderId: randomUUID(),
    userId: randomUUID(),
    items: [{ productId, quantity, unitPrice: money }],
    total: { amount: 500 * quantity, currency: 'USD' },
  });
}
const about = (orderId: string, type: string) =>
  heard.filter((e) => e.type === type && (e.data as { orderId?: string }).orderId === orderId);

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
      const created = heard.find(
        (e) => e.type === 'product.created' && (e.data as { productId: string }).productId === id,
      );
      expect(created?.data).toMatchObject({ productId: id, stock: 3, sellerId: seller.id });
    }, 10_000);
  });

  it('reserves an order from orders_exchange once, even when it is delivered twice, and answers inventory.reserved', async () => {
    const id = await product(3);
    const order = orderCreated(id, 2);
    await platform.publish([order, order]);
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
    const stockUpdate = heard.find((e) => e.type === 'product.updated' && e.causationId === order.id);
    expect(stockUpdate?.data).toMatchObject({ productId: id, stock: 1, changed: ['stock'] });

    const tooMuch = orderCreated(id, 5);
    await platform.publish([tooMuch]);
    await eventually(() => expect(about(tooMuch.data.orderId, 'inventory.rejected')).toHaveLength(1), 10_000);
    expect(about(tooMuch.data.orderId, 'inventory.rejected')[0]?.data).toMatchObject({
      shortLines: [{ productId: id, requested: 5, available: 1 }],
    });
  });

  it('releases on order.cancelled and commits on order.confirmed', async () => {
    const id = await product(4);
    const cancelled = orderCreated(id, 1);
    const confirmed = orderCreated(id, 2);
    await platform.publish([cancelled, confirmed]);
    await eventually(() => expect(about(confirmed.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    await eventually(() => expect(about(cancelled.data.orderId, 'inventory.reserved')).toHaveLength(1), 10_000);
    await platform.publish([
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
    await platform.publish([order]);
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

  it('reports the broker in /health/ready when built with it', async () => {
    const { buildApp } = await import('../src/app.js');
    const built = await buildApp({
      config: h.config,
      logger: pino({ level: 'silent' }),
      db: h.db,
      storage: h.storage,
      bus: productBus,
    });
    try {
      const ready = await built.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().checks).toMatchObject({ bus: 'ok', db: 'ok', storage: 'ok' });
    } finally {
      await built.app.close();
    }
  });
});
