// The payment service while PostgreSQL is gone: its API and readiness answer 503 with their bodies (never a
// 500, never a hang), an order arriving meanwhile waits in the consumer's hands, and all of it recovers by itself.
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { eventually, TEST_POSTGRES_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paymentStore } from '../src/store/payments.js';
import { capturesFor, type PaymentHarness, startPaymentHarness } from './harness.js';

let pg: FaultProxy;
let h: PaymentHarness;
const WAIT = 20_000;

beforeAll(async () => {
  pg = await createFaultProxy(TEST_POSTGRES_URL);
  // the default retry policy: an event that meets the outage waits for the database, it is not retried
  h = await startPaymentHarness('paymentfaults', {}, { db: pg.url });
});
afterAll(async () => {
  // the harness drops its database directly; the proxy only carries the service's connections
  await pg?.restore();
  await h?.close();
  await pg?.close();
});

/** Deliveries held because the database was unavailable so far (events_held_total). */
async function held(): Promise<number> {
  const metric = h.app.metrics.registry.getSingleMetric('events_held_total');
  return metric ? (await metric.get()).values.reduce((sum, v) => sum + v.value, 0) : 0;
}

it('PostgreSQL down → 503 from GET /api/payments and /health/ready; back → both work and the saga catches up', async () => {
  const { orderId, userId } = await h.order();
  await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
  const authorization = `Bearer ${await h.issuer.sign(userId, 'customer')}`;
  const payments = (query = '') => h.app.inject({ url: `/api/payments${query}`, headers: { authorization } });
  expect((await payments(`?orderId=${orderId}`)).statusCode).toBe(200);

  await pg.cut();
  for (const query of [`?orderId=${orderId}`, '']) {
    const down = await payments(query);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      error: {
        code: 'DATABASE_UNAVAILABLE',
        message: expect.any(String),
        requestId: down.headers['x-request-id'],
      },
    });
    expect(down.body).not.toMatch(/ECONNREFUSED|postgres|127\.0\.0\.1|at .*\.ts/);
  }
  const ready = await h.app.inject('/health/ready');
  expect(ready.statusCode).toBe(503);
  expect(ready.json()).toMatchObject({
    status: 'unavailable',
    service: 'payment',
    checks: { db: expect.stringMatching(/^down/), bus: 'ok' },
  });
  // an order whose events arrive during the outage: their deliveries wait for the database, nothing is acked
  const heldBefore = await held();
  const late = await h.order({ amount: 1234 });
  await eventually(async () => expect(await held()).toBeGreaterThan(heldBefore), WAIT);

  await pg.restore();
  await eventually(async () => expect((await h.app.inject('/health/ready')).statusCode).toBe(200), WAIT);
  await eventually(async () => {
    const res = await payments(`?orderId=${orderId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ orderId, status: 'succeeded' })]);
  }, WAIT);
  expect((await payments()).statusCode).toBe(200);
  await eventually(() => expect(h.eventsFor(late.orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
  expect(await paymentStore(h.db).byOrder(late.orderId)).toMatchObject({
    status: 'succeeded',
    amount: { amount: 1234, currency: 'USD' },
  });
  expect(await capturesFor(h.db, late.orderId)).toBe(1);
}, 60_000);
