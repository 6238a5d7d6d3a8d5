// The auth service publishes user.registered and user.password_reset_requested through its
// outbox to the real RabbitMQ, with the HTTP request id as the correlation id.
import type { AnyEvent } from '@microbazaar/contracts';
import { RabbitBus, type Subscription } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { eventually, TEST_RABBITMQ_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, type Harness, PASSWORD, startHarness } from './harness.js';

let h: Harness;
let bus: RabbitBus;
let subscription: Subscription;
const received: AnyEvent[] = [];

beforeAll(async () => {
  bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: testPrefix('auth'), name: 'auth-events-test' });
  subscription = await bus.subscribe({
    queue: 'auth_events_probe',
    bindings: ['user.*'],
    handler: async ({ event }) => {
      received.push(event);
    },
  });
  h = await startHarness('authevents', {}, {}, { bus, realEvents: true });
});

afterAll(async () => {
  await h?.close();
  await subscription?.close();
  await bus?.deleteTopology(['auth_events_probe']);
  await bus?.close();
});

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
      const found = received.filter(
        (e) => e.type === 'user.registered' && (e.data as { email: string }).email === address,
      );
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
    await eventually(
      () => expect(received.filter((e) => (e.data as { email?: string }).email === address)).toHaveLength(1),
      10_000,
    );
    const [{ count }] = (await h.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM outbox WHERE payload->'data'->>'email' = $1",
      [address],
    )) as [{ count: number }];
    expect(count).toBe(1);
  });

  it('forgot password publishes the reset link event', async () => {
    const address = email();
    await h.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: address, password: PASSWORD } });
    await h.app.inject({ method: 'POST', url: '/api/auth/password/forgot', payload: { email: address } });
    const event = await eventually(() => {
      const found = received.find(
        (e) => e.type === 'user.password_reset_requested' && (e.data as { email: string }).email === address,
      );
      expect(found).toBeDefined();
      return found!;
    }, 10_000);
    expect((event.data as { resetUrl: string }).resetUrl).toMatch(/\/reset-password\?token=[\w-]{20,}/);
  });

  it('reports the broker in readiness', async () => {
    const res = await h.app.inject('/health/ready');
    expect(res.json().checks).toMatchObject({ db: 'ok', cache: 'ok', bus: 'ok' });
  });
});
