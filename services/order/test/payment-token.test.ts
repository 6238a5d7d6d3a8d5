// The buyer's payment token reaches the payment service only, and the outbox keeps no copy once the broker
// has it (issue 14.11). The platform's queues are bound here as contracts' TOPOLOGY binds them.
import { randomUUID } from 'node:crypto';
import { type AnyEvent, QUEUES, TOPOLOGY } from '@microbazaar/contracts';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let h: OrderHarness;
const received: Record<string, AnyEvent[]> = {};
const CONSUMERS = [QUEUES.payments, QUEUES.inventory, QUEUES.notifications] as const;

beforeAll(async () => {
  h = await startOrderHarness('payment_token');
  for (const queue of CONSUMERS) {
    received[queue] = [];
    await h.platform.subscribe({
      queue,
      bindings: TOPOLOGY[queue],
      handler: async (d) => void received[queue]?.push(d.event),
    });
  }
});
afterAll(() => h?.close());

const TOKEN = 'tok_ok';

async function placeOrder(): Promise<string> {
  const lamp = h.catalog.add({ name: 'Lamp', price: { amount: 1999, currency: 'USD' }, sellerId: randomUUID() });
  const buyer = await customer(h);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() },
    payload: { shippingAddress: ADDRESS, paymentToken: TOKEN, items: [{ productId: lamp.id, quantity: 2 }] },
  });
  expect(res.statusCode).toBe(202);
  return res.json().id as string;
}

const about = (queue: string, orderId: string) =>
  (received[queue] ?? []).filter((e) => (e.data as { orderId?: string }).orderId === orderId);

describe('the payment token', () => {
  it('goes to payments_queue alone, in order.payment_requested; order.created carries none', async () => {
    const orderId = await placeOrder();
    // the positive signal first: every consumer got what it binds for this order
    await eventually(() => {
      expect(about(QUEUES.payments, orderId).map((e) => e.type)).toEqual(['order.payment_requested']);
      expect(about(QUEUES.inventory, orderId).map((e) => e.type)).toEqual(['order.created']);
      expect(about(QUEUES.notifications, orderId).map((e) => e.type)).toEqual(['order.created']);
    }, 15_000);
    expect(about(QUEUES.payments, orderId)[0]?.data).toMatchObject({
      orderId,
      total: { amount: 3998, currency: 'USD' },
      paymentToken: TOKEN,
    });
    for (const queue of [QUEUES.inventory, QUEUES.notifications]) {
      const text = JSON.stringify(about(queue, orderId));
      expect(text, queue).not.toContain('paymentToken');
      expect(text, queue).not.toContain(TOKEN);
    }
    // and the whole order.created as published: the lines and total its consumers need, no token
    const created = about(QUEUES.inventory, orderId)[0];
    expect(created?.data).toMatchObject({
      orderId,
      total: { amount: 3998, currency: 'USD' },
      items: [{ quantity: 2 }],
    });
  });

  it('is gone from the outbox row once the broker confirmed it; the rest of the event stays', async () => {
    const orderId = await placeOrder();
    await eventually(() => expect(about(QUEUES.payments, orderId)).toHaveLength(1), 15_000);
    await eventually(async () => {
      const rows = await h.db.query<{ type: string; sent: boolean; payload: AnyEvent }>(
        `SELECT type, sent_at IS NOT NULL AS sent, payload FROM outbox WHERE payload->'data'->>'orderId' = $1`,
        [orderId],
      );
      expect(rows.map((r) => [r.type, r.sent]).sort()).toEqual([
        ['order.created', true],
        ['order.payment_requested', true],
      ]);
      for (const row of rows) {
        const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
        expect(JSON.stringify(payload), row.type).not.toContain(TOKEN);
        expect(payload.data).toMatchObject({ orderId });
      }
    }, 15_000);
  });
});
