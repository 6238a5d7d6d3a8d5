// The notifications_queue consumer as the kit's other consumers are: one inbox for the subscription (so its old
// rows are pruned) and the BUS_* retry policy of the service's config (not the bus's defaults).
import { randomUUID } from 'node:crypto';
import { QUEUES } from '@microbazaar/contracts';
import { DEFAULT_RETRY_POLICY } from '@microbazaar/kit';
import { counterValue, eventually } from '@microbazaar/kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { money, type NotificationHarness, startNotificationHarness, user } from './harness.js';

const WAIT = 15_000;
const QUEUE = QUEUES.notifications;
// none of them the bus's defaults: what the consumer does can only come from the config
const POLICY = { BUS_MAX_ATTEMPTS: '2', BUS_RETRY_DELAYS_MS: '50', BUS_PREFETCH: '3' };

let h: NotificationHarness;

beforeAll(async () => {
  expect(DEFAULT_RETRY_POLICY).not.toMatchObject({ prefetch: 3, maxAttempts: 2 });
  h = await startNotificationHarness('consumer', { env: POLICY });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await h?.close();
});

const count = (name: string, labels: Record<string, string>) => counterValue(h.app, name, { queue: QUEUE, ...labels });

async function inboxRow(eventId: string): Promise<boolean> {
  const rows = await h.db.query('SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2', [QUEUE, eventId]);
  return rows.length > 0;
}

describe('the inbox of notifications_queue', () => {
  it('is pruned of rows older than the retention as deliveries go on (every ten minutes at most)', async () => {
    // a row handled eight days ago (the retention is seven) and one handled now
    const old = randomUUID();
    await h.db.query(
      `INSERT INTO inbox (consumer, event_id, event_type, handled_at) VALUES ($1, $2, 'order.delivered', now() - interval '8 days')`,
      [QUEUE, old],
    );
    const u = user();
    const first = await h.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    await eventually(async () => expect(await inboxRow(first.id)).toBe(true), WAIT);
    expect(await inboxRow(old)).toBe(true);

    // eleven minutes later by the service's clock, the next delivery prunes
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 11 * 60_000);
    const second = await h.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    await eventually(async () => expect(await inboxRow(second.id)).toBe(true), WAIT);
    await eventually(async () => expect(await inboxRow(old)).toBe(false), WAIT);
    // what is recent stays: a redelivery of it is still recognised
    expect(await inboxRow(first.id)).toBe(true);
  });
});

describe('the retry policy of notifications_queue', () => {
  it('comes from BUS_MAX_ATTEMPTS and BUS_RETRY_DELAYS_MS: a failing event is tried twice, 50 ms apart, then dead-lettered', async () => {
    // a payment event for an order this service never heard of fails until order.created arrives: here, never
    const event = await h.publish('payment.failed', {
      orderId: randomUUID(),
      paymentId: randomUUID(),
      amount: money(1000),
      reason: 'declined',
    });
    const labels = { type: 'payment.failed', reason: 'handler_failed' };
    // with the bus's defaults (5 attempts, 1 s then 5, 30 and 120 s apart) this would take minutes
    await eventually(async () => expect(await count('events_dead_lettered_total', labels)).toBe(1), WAIT);
    expect(await count('events_retried_total', { type: 'payment.failed' })).toBe(1);
    const [dead] = (await h.bus.deadLetters.list(QUEUE)).filter((d) => d.id === event.id);
    expect(dead).toMatchObject({ reason: 'handler_failed', attempts: 2 });
    expect(dead?.error).toContain('is not known yet');
  });

  it('subscribes with BUS_PREFETCH, BUS_MAX_ATTEMPTS and BUS_RETRY_DELAYS_MS', async () => {
    const subscribe = vi.spyOn(h.bus, 'subscribe');
    // a second consuming instance, as a deployment runs them
    await h.instance({ env: POLICY });
    const options = subscribe.mock.calls.map(([o]) => o).find((o) => o.queue === QUEUE);
    expect(options).toMatchObject({ prefetch: 3, maxAttempts: 2, retryDelaysMs: [50] });
  });
});
