// The product service while PostgreSQL is gone: 503 with the error body (also for a search whose ranking
// is cached), not ready, and back by itself when the database returns (a TCP proxy in between is cut).
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { eventually, TEST_POSTGRES_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let pg: FaultProxy;

beforeAll(async () => {
  pg = await createFaultProxy(TEST_POSTGRES_URL);
  // the test database, reached through the proxy
  h = await startHarness('faults', {}, { dbUrl: pg.url });
});
afterAll(async () => {
  await pg?.restore();
  await h?.close();
  await pg?.close();
});

describe('PostgreSQL going away', () => {
  it('answers 503 DATABASE_UNAVAILABLE, reports not ready, and recovers', async () => {
    const seller = await h.actor('seller');
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: productBody({ name: 'Resilient Lamp' }),
      headers: seller.auth,
    });
    expect(created.statusCode).toBe(201);
    expect((await h.app.inject({ method: 'GET', url: '/api/products?q=resilient' })).json().items).toHaveLength(1);

    await pg.cut();
    for (const url of ['/api/products', '/api/products?q=resilient', `/api/products/${created.json().id}`]) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', requestId: res.headers['x-request-id'] });
      expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);
    }
    expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);

    await pg.restore();
    await eventually(
      async () => {
        expect((await h.app.inject({ method: 'GET', url: '/api/products?q=resilient' })).statusCode).toBe(200);
      },
      15_000,
      250,
    );
    expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  }, 40_000);
});
