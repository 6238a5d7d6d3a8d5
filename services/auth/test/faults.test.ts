// The auth service while PostgreSQL or Redis is gone: 503 with the error body, never a hang,
// and it recovers by itself when the backend returns (a TCP proxy in between is cut and restored).
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, email, PASSWORD, startAuthHarness } from './harness.js';

let h: AuthHarness;
let pg: FaultProxy;
let redis: FaultProxy;

beforeAll(async () => {
  pg = await createFaultProxy(TEST_POSTGRES_URL);
  redis = await createFaultProxy(TEST_REDIS_URL);
  h = await startAuthHarness('faults', {}, { db: pg.url, redis: redis.url });
});
afterAll(async () => {
  await h?.close();
  await pg?.close();
  await redis?.close();
});

const login = (address: string) =>
  h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: address, password: PASSWORD } });

describe('dependencies going away', () => {
  it('PostgreSQL down → 503 DATABASE_UNAVAILABLE and not ready; back → works again', async () => {
    const address = email();
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/api/auth/register',
          payload: { email: address, password: PASSWORD },
        })
      ).statusCode,
    ).toBe(201);

    await pg.cut();
    const down = await login(address);
    expect(down.statusCode).toBe(503);
    expect(down.json().error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', requestId: down.headers['x-request-id'] });
    expect(down.body).not.toMatch(/ECONNREFUSED|postgres|127\.0\.0\.1/);
    expect((await h.app.inject('/health/ready')).statusCode).toBe(503);

    await pg.restore();
    let res = await login(address);
    for (let i = 0; i < 20 && res.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await login(address);
    }
    expect(res.statusCode).toBe(200);
    expect((await h.app.inject('/health/ready')).statusCode).toBe(200);
  });

  it('Redis down → login answers 503 CACHE_UNAVAILABLE; back → works again', async () => {
    const address = email();
    await h.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: address, password: PASSWORD } });
    await redis.cut();
    const down = await login(address);
    expect(down.statusCode).toBe(503);
    expect(down.json().error.code).toBe('CACHE_UNAVAILABLE');
    // a reset request must not answer 202 and then mail nobody
    const forgot = await h.app.inject({
      method: 'POST',
      url: '/api/auth/password/forgot',
      payload: { email: address },
    });
    expect(forgot.statusCode).toBe(503);
    await h.accounts.settle();
    expect(await h.outboxed('user.password_reset_requested', address)).toBe(0);
    await redis.restore();
    let res = await login(address);
    for (let i = 0; i < 40 && res.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await login(address);
    }
    expect(res.statusCode).toBe(200);
  });
});
