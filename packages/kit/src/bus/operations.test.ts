// Operations: broker readiness in /health/ready, event metrics in /metrics, the `npm run events -- dlq` CLI, embedded mode on PGlite.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QUEUES, TOPOLOGY } from '@microbazaar/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { migrate, PgliteHost } from '../db.js';
import { eventually, TEST_RABBITMQ_URL } from '../testing.js';
import { openBus } from './config.js';
import { subscribeWithInbox } from './inbox.js';
import { MemoryBroker } from './memory.js';
import { busMetrics } from './metrics.js';
import { enqueueEvents, eventsMigrations, startOutboxRelay } from './outbox.js';
import { RabbitBus } from './rabbitmq.js';
import { type EventsTestDb, eventsTestDb, orderCreated, recordEffect, testPrefix } from './testkit.js';
import type { DeadLetter } from './types.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const silent = pino({ level: 'silent' });

describe('operations on RabbitMQ', () => {
  let tdb: EventsTestDb;
  let bus: RabbitBus;

  beforeAll(async () => {
    tdb = await eventsTestDb('ops');
    bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: testPrefix('ops'), name: 'test-ops' });
    await bus.ready();
  });

  afterAll(async () => {
    await bus?.deleteTopology();
    await bus?.close();
    await tdb?.drop();
  });

  it('reports the broker in /health/ready: ok when connected, 503 naming it when unreachable', async () => {
    const down = new RabbitBus({ url: 'amqp://guest:guest@127.0.0.1:1', name: 'test-down', publishTimeoutMs: 500 });
    const app = await createApp({
      name: 'ops-test',
      logger: silent,
      openapi: false,
      readiness: { bus: () => bus.ping() },
    });
    const broken = await createApp({
      name: 'ops-test-down',
      logger: silent,
      openapi: false,
      readiness: { bus: () => down.ping() },
    });
    try {
      const ok = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ checks: { bus: 'ok' } });
      const bad = await broken.inject({ method: 'GET', url: '/health/ready' });
      expect(bad.statusCode).toBe(503);
      expect(bad.json().checks.bus).toMatch(/^down: RabbitMQ unreachable/);
      await expect(down.publish([orderCreated()])).rejects.toThrow(/RabbitMQ is unavailable/);
    } finally {
      await Promise.all([app.close(), broken.close(), down.close()]);
    }
  });

  it('exposes published, consumed, retried and dead-lettered counters and the outbox lag in /metrics', async () => {
    const app = await createApp({ name: 'ops-metrics', logger: silent, openapi: false });
    const metrics = busMetrics(app.metrics.registry);
    const sub = await subscribeWithInbox({
      bus,
      db: tdb.db,
      queue: 'metrics_queue',
      metrics,
      maxAttempts: 2,
      retryDelaysMs: [10],
      handlers: {
        'order.created': async (tx, event) => {
          if (event.correlationId === 'poison') throw new Error('cannot handle');
          await recordEffect(tx, event, 'metrics_queue');
        },
      },
    });
    const relay = await startOutboxRelay({ db: tdb.db, bus, metrics });
    try {
      await tdb.db.transaction((tx) => enqueueEvents(tx, [orderCreated(), orderCreated('poison')]));
      await eventually(async () => expect(await bus.deadLetters.list('metrics_queue')).toHaveLength(1), 20_000);
      await eventually(async () => {
        const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        expect(text).toContain('events_published_total{type="order.created",service="ops-metrics"} 2');
        expect(text).toMatch(
          /events_consumed_total\{queue="metrics_queue",type="order.created",outcome="handled",service="ops-metrics"\} 1/,
        );
        expect(text).toMatch(
          /events_retried_total\{queue="metrics_queue",type="order.created",service="ops-metrics"\} 1/,
        );
        expect(text).toMatch(
          /events_dead_lettered_total\{queue="metrics_queue",type="order.created",reason="handler_failed",service="ops-metrics"\} 1/,
        );
        expect(text).toMatch(/outbox_lag_seconds\{service="ops-metrics"\} 0/);
        expect(text).toMatch(/outbox_pending_events\{service="ops-metrics"\} 0/);
        expect(text).toMatch(/events_delivery_latency_seconds_count\{[^}]*queue="metrics_queue"[^}]*\} 1\n/);
      }, 20_000);

      // a row nobody relays shows up as lag
      await relay.stop();
      await tdb.db.transaction((tx) => enqueueEvents(tx, orderCreated()));
      await tdb.db.query("UPDATE outbox SET created_at = now() - interval '90 seconds' WHERE sent_at IS NULL");
      await eventually(async () => {
        const lagged = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        expect(lagged).toMatch(/outbox_pending_events\{service="ops-metrics"\} 1\n/);
        const lag = Number(/outbox_lag_seconds\{service="ops-metrics"\} ([\d.]+)/.exec(lagged)?.[1]);
        expect(lag).toBeGreaterThanOrEqual(90);
      }, 5000);
    } finally {
      await relay.stop();
      await sub.close();
      await app.close();
    }
  });

  it('declares the topology ahead of the consumers: what is published before their first start waits', async () => {
    const cli = await run('npx', ['tsx', 'scripts/events.ts', 'topology', 'declare', '--prefix', bus.prefix], {
      cwd: ROOT,
      env: { ...process.env, RABBITMQ_URL: TEST_RABBITMQ_URL },
    });
    expect(cli.stdout).toContain(`declared ${bus.prefix}${QUEUES.inventory}`);
    // the product service has never run: its queue already holds what the order service publishes
    const early = orderCreated();
    await bus.publish([early]);
    const seen: string[] = [];
    const sub = await bus.subscribe({
      queue: QUEUES.inventory,
      bindings: [...TOPOLOGY[QUEUES.inventory]],
      handler: async ({ event }) => {
        seen.push(event.id);
      },
    });
    try {
      await eventually(() => expect(seen).toEqual([early.id]), 20_000);
    } finally {
      await sub.close();
      await bus.deleteTopology(Object.keys(TOPOLOGY));
    }
  }, 60_000);

  it('lists, replays and purges dead letters from the command line', async () => {
    const queue = 'cli_queue';
    let healthy = false;
    const handled: string[] = [];
    const sub = await bus.subscribe({
      queue,
      bindings: ['order.created'],
      maxAttempts: 1,
      handler: async ({ event }) => {
        if (!healthy) throw new Error('downstream is down');
        handled.push(event.id);
      },
    });
    const cli = async (...args: string[]) => {
      const { stdout } = await run('npx', ['tsx', 'scripts/events.ts', ...args, '--prefix', bus.prefix], {
        cwd: ROOT,
        env: { ...process.env, RABBITMQ_URL: TEST_RABBITMQ_URL },
      });
      return stdout;
    };
    try {
      const [a, b, c] = [orderCreated(), orderCreated(), orderCreated()];
      await bus.publish([a, b, c]);
      await eventually(async () => expect(await bus.deadLetters.list(queue)).toHaveLength(3), 20_000);

      const listed = JSON.parse(await cli('dlq', 'list', queue, '--json')) as DeadLetter[];
      expect(listed.map((l) => l.id).sort()).toEqual([a.id, b.id, c.id].sort());
      expect(listed[0]).toMatchObject({ reason: 'handler_failed', attempts: 1 });
      expect(listed[0]?.error).toContain('downstream is down');
      expect(await cli('dlq', 'list', queue)).toContain('3 message(s) in cli_queue.dlq');

      healthy = true;
      expect(await cli('dlq', 'replay', queue, '--id', b.id)).toContain('replayed 1 message(s)');
      await eventually(() => expect(handled).toEqual([b.id]), 20_000);
      expect((await bus.deadLetters.list(queue)).map((l) => l.id).sort()).toEqual([a.id, c.id].sort());

      expect(await cli('dlq', 'purge', queue)).toContain('purged 2 message(s)');
      expect(await bus.deadLetters.list(queue)).toEqual([]);
      expect(handled).toEqual([b.id]);
    } finally {
      await sub.close();
    }
  }, 60_000);
});

describe('embedded mode: PGlite and one shared memory broker', () => {
  it('relays one service outbox to another service inbox through the shared broker', async () => {
    const host = await PgliteHost.open(undefined);
    const broker = new MemoryBroker();
    const config = {
      BUS_PREFETCH: 10,
      BUS_MAX_ATTEMPTS: 3,
      BUS_RETRY_DELAYS_MS: '10',
      BUS_PUBLISH_TIMEOUT_MS: 1000,
      OUTBOX_BATCH_SIZE: 100,
      OUTBOX_SWEEP_INTERVAL_MS: 1000,
      OUTBOX_RETENTION_HOURS: 24,
    };
    // two services in one process, each with its schema and its handle on the broker
    const orderDb = host.db('orders');
    const productDb = host.db('product');
    const none = mkdtempSync(join(tmpdir(), 'mbt-none-'));
    await migrate(orderDb, none, { include: [eventsMigrations] });
    await migrate(productDb, none, { include: [eventsMigrations] });
    await productDb.exec('CREATE TABLE effects (event_id uuid NOT NULL, consumer text NOT NULL)');
    const orderBus = openBus(config, { name: 'order', shared: broker });
    const productBus = openBus(config, { name: 'product', shared: broker });
    expect(orderBus.kind).toBe('memory');
    const sub = await subscribeWithInbox({
      bus: productBus,
      db: productDb,
      queue: 'inventory_queue',
      handlers: { 'order.created': (tx, event) => recordEffect(tx, event, 'inventory_queue').then(() => undefined) },
    });
    const relay = await startOutboxRelay({ db: orderDb, bus: orderBus });
    try {
      const events = Array.from({ length: 25 }, () => orderCreated());
      for (const e of events) await orderDb.transaction((tx) => enqueueEvents(tx, e));
      await orderBus.publish(events.slice(0, 5)); // duplicates, as after a relay crash
      await eventually(async () => {
        const rows = await productDb.query<{ n: number }>('SELECT count(*)::int AS n FROM effects');
        expect(rows[0]?.n).toBe(25);
        const pending = await orderDb.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL',
        );
        expect(pending[0]?.n).toBe(0);
      }, 20_000);
      const inbox = await productDb.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox');
      expect(inbox[0]?.n).toBe(25);
      await orderBus.close(); // a service's close leaves the shared broker to the others
      await expect(productBus.ping()).resolves.toBeUndefined();
    } finally {
      await relay.stop();
      await sub.close();
      await productBus.close();
      await broker.close();
      await host.close();
    }
  }, 60_000);
});
