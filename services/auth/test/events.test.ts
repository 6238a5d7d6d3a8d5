// The auth service publishes user.registered and user.password_reset_requested through its outbox to the
// real RabbitMQ (the harness's platform bus records them), with the HTTP request id as the correlation id.
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, email, PASSWORD, startAuthHarness } from './harness.js';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness('authevents');
});
afterAll(() => h?.close());

const about = (address: string) => h.published.filter((e) => (e.data as { email?: string }).email === address);

describe('auth events through the outbox', () => {
  it('register publishes user.registered once, correlated with the request', async () => {
    const address = email();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'x-request-id': 'req-register-1' },
      payload: { email: address, password: PASSWORD, name: 'Grace' },
    });
    expect(res.statusCode).toBe(201);
    const event = await eventually(() => {
      const found = about(address).filter((e) => e.type === 'user.registered');
      expect(found).toHaveLength(1);
      return found[0]!;
    }, 10_000);
    expect(event.data).toEqual({ userId: res.json().user.id, email: address, name: 'Grace' });
    expect(event.correlationId).toBe('req-register-1');
  });

  it('a refused registration publishes nothing (the row and the event share one transaction)', async () => {
    const address = email();
    await h.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: address, password: PASSWORD } });
    const again = await h.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: address, password: PASSWORD },
    });
    expect(again.statusCode).toBe(400);
    // the first registration's event arrived: the refused one had its chance to be relayed too
    await eventually(() => expect(about(address)).toHaveLength(1), 10_000);
    expect(await h.outboxed('user.registered', address)).toBe(1);
  });

  it('forgot password publishes the reset link event', async () => {
    const address = email();
    await h.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: address, password: PASSWORD } });
    await h.app.inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: address } });
    expect((await h.resetLink(address)).resetUrl).toMatch(/\/reset-password\?token=[\w-]{20,}/);
  });

  it('reports the broker in readiness', async () => {
    const res = await h.app.inject('/health/ready');
    expect(res.json().checks).toMatchObject({ db: 'ok', cache: 'ok', bus: 'ok' });
  });
});
