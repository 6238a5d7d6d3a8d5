// The order service while PostgreSQL is gone: checkout answers 503 (never a hang, nothing half-stored),
// readiness says so, and checkout works again once it is back.
import { randomUUID } from 'node:crypto';
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { eventually, TEST_POSTGRES_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADDRESS, customer, type OrderHarness, startOrderHarness } from './harness.js';

let pg: FaultProxy;
let h: OrderHarness;

beforeAll(async () => {
  pg = await createFaultProxy(TEST_POSTGRES_URL);
  h = await startOrderHarness('orderfaults', {}, { db: pg.url });
});
afterAll(async () => {
  await h?.close();
  await pg?.close();
});

it('PostgreSQL down → 503 and not ready; back → checkout works again', async () => {
  const product = h.catalog.add({ price: { amount: 1000, currency: 'USD' }, sellerId: randomUUID() });
  const buyer = await customer(h);
  const checkout = () =>
    h.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': randomUUID() },
      payload: { shippingAddress: ADDRESS, paymentToken: 'tok_ok', items: [{ productId: product.id, quantity: 1 }] },
    });
  expect((await checkout()).statusCode).toBe(202);
  await pg.cut();
  const down = await checkout();
  expect(down.statusCode).toBe(503);
  expect(down.json().error.code).toBe('DATABASE_UNAVAILABLE');
  expect(down.body).not.toMatch(/ECONNREFUSED|postgres|127\.0\.0\.1/);
  expect((await h.app.inject('/health/ready')).statusCode).toBe(503);
  await pg.restore();
  // the pool reconnects on its own: checkouts answer 503 until it has
  await eventually(async () => expect((await checkout()).statusCode).toBe(202), 10_000, 250);
  const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [
    buyer.userId,
  ]);
  expect(row?.n).toBe(2);
});
