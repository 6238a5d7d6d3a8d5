// Outbox relay on real PostgreSQL and RabbitMQ: wake-up on commit, the sweep after a lost wake-up, crashes, two relays.
import { EventValidationError } from '@microbazaar/contracts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TEST_RABBITMQ_URL } from '../testing.js';
import { inboxHandler } from './inbox.js';
import { busMetrics } from './metrics.js';
import { enqueueEvent, enqueueEvents, type OutboxRelay, startOutboxRelay, writeWithEvents } from './outbox.js';
import { RabbitBus } from './rabbitmq.js';
import {
  type EventsTestDb,
  effectCounts,
  eventsTestDb,
  orderCreated,
  recordEffect,
  sampleEvent,
  testPrefix,
} from './testkit.js';
import type { Bus, Subscription } from './types.js';

const WAIT = 30_000;

let tdb: EventsTestDb;
let bus: RabbitBus;
const subs: Subscription[] = [];
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  tdb = await eventsTestDb('outbox');
  bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: testPrefix('outbox'), name: 'test-outbox' });
  await bus.ready();
});

// each test brings its own relays and consumers: none may publish or consume for the next one
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await Promise.all(subs.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await bus?.deleteTopology();
  await bus?.close();
  await tdb?.drop();
});

/** A consumer on its own queue that records one effect per handled event, through the inbox. */
async function consumer(queue: string, stats = { handled: 0, skipped: 0 }) {
  const inner = inboxHandler(tdb.db, queue, {
    'order.created': async (tx, event) => {
      await recordEffect(tx, event, queue);
    },
  });
  subs.push(
    await bus.subscribe({
      queue,
      bindings: ['order.created'],
      handler: async (d) => {
        const outcome = await inner(d);
        if (outcome?.status === 'skipped') stats.skipped++;
        else stats.handled++;
        return outcome;
      },
    }),
  );
  return stats;
}

async function relay(opts: Partial<Parameters<typeof startOutboxRelay>[0]> = {}) {
  const r = await startOutboxRelay({ db: tdb.db, bus, ...opts });
  relays.push(r);
  return r;
}

async function pendingIds(ids: string[]): Promise<string[]> {
  const rows = await tdb.db.query<{ id: string }>(
    'SELECT id FROM outbox WHERE id = ANY($1::uuid[]) AND sent_at IS NULL',
    [ids],
  );
  return rows.map((r) => r.id);
}

async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  const { values } = (await metric?.get()) ?? { values: [] };
  return values.reduce((s, v) => s + v.value, 0);
}

describe('outbox', () => {
  it('writes events in the caller transaction: a rollback leaves nothing, an invalid event fails the transaction', async () => {
    const rolledBack = orderCreated();
    await expect(
      tdb.db.transaction(async (tx) => {
        await enqueueEvents(tx, rolledBack);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const invalid = { ...orderCreated(), data: { orderId: 'x' } } as never;
    await expect(tdb.db.transaction((tx) => enqueueEvents(tx, [orderCreated(), invalid]))).rejects.toBeInstanceOf(
      EventValidationError,
    );
    expect(await tdb.db.query('SELECT 1 FROM outbox WHERE id = $1', [rolledBack.id])).toHaveLength(0);
  });

  it('writeWithEvents: the change and its events in one statement, events only when the condition holds', async () => {
    const heard: string[] = [];
    const unlisten = await tdb.db.listen(`outbox_${tdb.db.schema}`, (p) => heard.push(p));
    try {
      await tdb.db.query('CREATE TABLE IF NOT EXISTS wwe_claims (key text PRIMARY KEY)');
      const claim = (key: string, event: ReturnType<typeof orderCreated>) =>
        writeWithEvents<{ claimed: number }>(
          tdb.db,
          {
            with: 'claim AS (INSERT INTO wwe_claims VALUES ($1) ON CONFLICT DO NOTHING RETURNING key)',
            params: [key],
            when: 'EXISTS (SELECT 1 FROM claim)',
            select: '(SELECT count(*) FROM claim)::int AS claimed',
          },
          event,
        );
      const first = orderCreated();
      const again = orderCreated();
      expect(await claim('k1', first)).toMatchObject({ claimed: 1 });
      expect(await claim('k1', again)).toMatchObject({ claimed: 0 });
      expect(await tdb.db.query('SELECT 1 FROM outbox WHERE id = $1', [first.id])).toHaveLength(1);
      expect(await tdb.db.query('SELECT 1 FROM outbox WHERE id = $1', [again.id])).toHaveLength(0);
      // the committed statement woke the relay's channel
      await eventually(() => expect(heard.length).toBeGreaterThan(0), WAIT);
      // a failing statement leaves nothing: the change and the events are one
      const failed = orderCreated();
      await expect(
        writeWithEvents(
          tdb.db,
          { with: "claim AS (INSERT INTO wwe_claims VALUES ('k2') RETURNING key)", params: [], select: '1/0 AS boom' },
          failed,
        ),
      ).rejects.toThrow();
      expect(await tdb.db.query("SELECT 1 FROM wwe_claims WHERE key = 'k2'")).toHaveLength(0);
      expect(await tdb.db.query('SELECT 1 FROM outbox WHERE id = $1', [failed.id])).toHaveLength(0);
      // invalid events are refused before anything is written
      const invalid = { ...orderCreated(), data: { orderId: 'x' } } as never;
      await expect(writeWithEvents(tdb.db, { params: [] }, invalid)).rejects.toBeInstanceOf(EventValidationError);
    } finally {
      await unlisten();
      // no relay runs here: leave nothing pending for the next test's relay
      await tdb.db.query('DELETE FROM outbox');
    }
  });

  it('publishes right after commit (NOTIFY), marks rows sent, counts them and reports no lag', async () => {
    const registry = new Registry();
    const stats = await consumer('notify_queue');
    // the sweep is an hour away: only the NOTIFY sent at commit can wake the relay
    await relay({ sweepIntervalMs: 3_600_000, metrics: busMetrics(registry) });
    const event = await tdb.db.transaction((tx) =>
      enqueueEvent(tx, 'order.created', orderCreated().data, { correlationId: 'req-notify' }),
    );
    await eventually(() => expect(stats.handled).toBe(1), WAIT);
    // the relay commits 'sent' after the broker confirmed: the consumer may be faster
    await eventually(async () => expect(await pendingIds([event.id])).toEqual([]), WAIT);
    expect(await metricValue(registry, 'events_published_total')).toBe(1);
    await eventually(async () => expect(await metricValue(registry, 'outbox_pending_events')).toBe(0), WAIT);
    expect(await metricValue(registry, 'outbox_lag_seconds')).toBe(0);
    const [row] = await tdb.db.query<{ correlation: string }>(
      "SELECT payload->>'correlationId' AS correlation FROM outbox WHERE id = $1",
      [event.id],
    );
    expect(row?.correlation).toBe('req-notify');
  });

  it('under a stream of commits the relay polls with NOTIFY off, and turns it back on when quiet', async () => {
    const queue = 'stream_queue';
    await consumer(queue);
    const armed = async () => (await tdb.db.query<{ armed: boolean }>('SELECT armed FROM outbox_wakeup'))[0]?.armed;
    const switches: boolean[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { armed?: boolean };
          if (typeof entry.armed === 'boolean') switches.push(entry.armed);
        },
      },
    );
    // no sweep: only NOTIFY and the relay's own polling can move rows
    await relay({ sweepIntervalMs: 3_600_000, hotPollMs: 20, logger });
    expect(await armed()).toBe(true);
    const events = Array.from({ length: 300 }, () => orderCreated());
    for (let i = 0; i < events.length; i += 3) {
      await tdb.db.transaction((tx) => enqueueEvents(tx, events.slice(i, i + 3)));
    }
    await eventually(
      async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 300, distinct: 300 }),
      WAIT,
    );
    // the first partial round turned NOTIFY off, and finding nothing turned it back on
    expect(switches[0]).toBe(false);
    await eventually(() => expect(switches.at(-1)).toBe(true), WAIT);
    await eventually(async () => expect(await armed()).toBe(true), WAIT);
    // quiet again: a lone commit is published through its NOTIFY
    const lone = orderCreated();
    await tdb.db.transaction((tx) => enqueueEvents(tx, lone));
    await eventually(
      async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 301, distinct: 301 }),
      WAIT,
    );
  });

  it('keeps no secret once sent: the reset link reaches the consumer and leaves the outbox copy', async () => {
    const received: unknown[] = [];
    subs.push(
      await bus.subscribe({
        queue: 'secret_queue',
        bindings: ['user.password_reset_requested'],
        handler: async ({ event }) => {
          received.push(event.data);
        },
      }),
    );
    await relay();
    const resetUrl = 'https://shop.example/reset-password?token=live-secret-token';
    const data = {
      userId: crypto.randomUUID(),
      email: 'ada@example.com',
      name: 'Ada',
      resetUrl,
      expiresAt: new Date().toISOString(),
    };
    const event = await tdb.db.transaction((tx) => enqueueEvent(tx, 'user.password_reset_requested', data));
    await eventually(() => expect(received).toEqual([expect.objectContaining({ resetUrl })]), WAIT);
    await eventually(async () => expect(await pendingIds([event.id])).toEqual([]), WAIT);
    const [row] = await tdb.db.query<{ payload: string }>('SELECT payload::text AS payload FROM outbox WHERE id = $1', [
      event.id,
    ]);
    expect(row?.payload).toContain('ada@example.com');
    expect(row?.payload).not.toContain('live-secret-token');
  });

  it('crash between commit and publish: the sweep publishes the rows, one effect each downstream', async () => {
    const queue = 'sweep_queue';
    const stats = await consumer(queue);
    // this relay hears no NOTIFY: the wake-up of the commit is lost, as when the writer crashes right after it
    await relay({ listen: false, sweepIntervalMs: 200 });
    const events = Array.from({ length: 20 }, () => orderCreated());
    await tdb.db.transaction((tx) => enqueueEvents(tx, events));
    await eventually(async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 20, distinct: 20 }), WAIT);
    await eventually(async () => expect(await pendingIds(events.map((e) => e.id))).toEqual([]), WAIT);
    expect(stats.skipped).toBe(0);
  });

  it('crash between publish and marking sent: the rows go out again, the inbox keeps one effect', async () => {
    const queue = 'remark_queue';
    const stats = await consumer(queue);
    let crashes = 1;
    // The broker confirms the batch, then the relay dies before its UPDATE commits: the claim rolls back.
    const crashingBus: Bus = {
      kind: bus.kind,
      deadLetters: bus.deadLetters,
      ping: () => bus.ping(),
      close: () => bus.close(),
      subscribe: (o) => bus.subscribe(o),
      publish: async (items) => {
        await bus.publish(items);
        if (crashes-- > 0) throw new Error('relay process killed after the confirm');
      },
    };
    const r = await relay({ bus: crashingBus, listen: false, sweepIntervalMs: 200 });
    const events = Array.from({ length: 10 }, () => orderCreated());
    await tdb.db.transaction((tx) => enqueueEvents(tx, events));
    r.wake();
    await eventually(async () => expect(await pendingIds(events.map((e) => e.id))).toEqual([]), WAIT);
    await eventually(() => expect(stats.handled + stats.skipped).toBe(20), WAIT);
    expect(await effectCounts(tdb.db, queue)).toEqual({ total: 10, distinct: 10 });
    expect(stats.skipped).toBe(10);
  });

  it('two relay instances on one outbox: every event published once, none twice in effect', async () => {
    const queue = 'two_relays_queue';
    const stats = await consumer(queue);
    const registries = [new Registry(), new Registry()];
    // separate pools, as two processes would have; small batches so they interleave
    for (const registry of registries) {
      const db = tdb.connect(4);
      relays.push(
        await startOutboxRelay({ db, bus, batchSize: 20, sweepIntervalMs: 100, metrics: busMetrics(registry) }),
      );
    }
    const total = 400;
    const events = Array.from({ length: total }, () => orderCreated());
    // 40 writers, 10 events per transaction
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        tdb.db.transaction((tx) => enqueueEvents(tx, events.slice(i * 10, i * 10 + 10))),
      ),
    );
    await eventually(async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total, distinct: total }), WAIT);
    // once every row is marked sent, the counters are final (a relay counts before it commits)
    await eventually(async () => expect(await pendingIds(events.map((e) => e.id))).toEqual([]), WAIT);
    const published = await Promise.all(registries.map((r) => metricValue(r, 'events_published_total')));
    expect((published[0] ?? 0) + (published[1] ?? 0)).toBe(total);
    expect(stats.skipped).toBe(0);
  });

  it('parks a row that is no longer a valid event instead of blocking the others', async () => {
    const queue = 'parked_queue';
    await consumer(queue);
    const good = orderCreated();
    const badId = '00000000-0000-4000-8000-000000000001';
    await tdb.db.query(`INSERT INTO outbox (id, type, payload) VALUES ($1, 'order.created', $2::text::jsonb)`, [
      badId,
      JSON.stringify({ ...sampleEvent('order.created'), id: badId, data: { orderId: 'legacy' } }),
    ]);
    await tdb.db.transaction((tx) => enqueueEvents(tx, good));
    await relay({ listen: false, sweepIntervalMs: 100 });
    await eventually(async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 1, distinct: 1 }), WAIT);
    const bad = await eventually(async () => {
      const [row] = await tdb.db.query<{ sent: boolean; error: string; parked: boolean }>(
        `SELECT sent_at IS NOT NULL AS sent, last_error AS error, available_at = 'infinity' AS parked FROM outbox WHERE id = $1`,
        [badId],
      );
      expect(row).toMatchObject({ sent: false, parked: true });
      return row;
    }, WAIT);
    expect(bad?.error).toContain('invalid order.created data');
  });
});
