// The service harness of the integration tests: a service built on a fresh PostgreSQL database (migrated)
// and its own RabbitMQ name prefix, with a second bus playing the rest of the platform: it publishes
// the events the service consumes (emit) and records, on an observer queue, the events it publishes.
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import type { App } from '../app.js';
import { newEvent } from '../bus/outbox.js';
import { RabbitBus } from '../bus/rabbitmq.js';
import { testPrefix } from '../bus/testkit.js';
import { createPostgresDb, type Db } from '../db.js';
import type { Migrations } from '../service.js';
import { createTestDatabase, TEST_RABBITMQ_URL, type TestDatabase } from './backends.js';

export interface ServiceHarnessOptions<S extends { app: App }> {
  /** names the test database, the bus prefix and the broker connections */
  label: string;
  /** the service's database schema (its config's DB_SCHEMA) */
  schema: string;
  migrations: Migrations;
  /** bindings of the observer queue on the platform bus: what the service publishes, e.g. `['order.*']`; none for a service that publishes nothing */
  observe: readonly string[];
  /** reach PostgreSQL at another address (a fault proxy in front of it); the test database's name is kept */
  dbUrl?: string | undefined;
  /** builds the service (its buildApp) on the harness's database and bus */
  build(backends: { db: Db; bus: RabbitBus }): Promise<S>;
}

export interface ServiceHarness<S extends { app: App }> {
  /** what build returned */
  service: S;
  app: S['app'];
  db: Db;
  /** the service's own bus */
  bus: RabbitBus;
  /** the rest of the platform, on the same broker and prefix */
  platform: RabbitBus;
  /** the events the service published (observed on the platform bus), in arrival order */
  published: AnyEvent[];
  /** publishes an event as another service would */
  emit<T extends EventType>(type: T, data: EventData<T>): Promise<EventOf<T>>;
  /** `published` events of a type about one order */
  eventsFor(orderId: string, type: EventType): AnyEvent[];
  /** events of a type the service's consumers acked so far, by outcome (events_consumed_total) */
  consumed(type: EventType): Promise<{ handled: number; skipped: number }>;
  /** deliveries of a type tried on a fast path, by result (events_fast_path_total) */
  fastPaths(type: EventType): Promise<{ applied: number; fellBack: number }>;
  database: TestDatabase;
  /** runs `fn` on close, after the app closed and before the buses and the database (clients, fakes) */
  onClose(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/** Sums a counter of the app's /metrics registry over the series whose labels match. */
export async function counterValue(app: App, name: string, labels: Record<string, string>): Promise<number> {
  const metric = app.metrics.registry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

export async function startServiceHarness<S extends { app: App }>(
  opts: ServiceHarnessOptions<S>,
): Promise<ServiceHarness<S>> {
  const { label } = opts;
  const database = await createTestDatabase(label);
  const cleanups: Array<() => Promise<unknown>> = [];
  const dbUrl = opts.dbUrl ? opts.dbUrl.replace(/\/[^/]*$/, `/${database.name}`) : database.url;
  const db = createPostgresDb({ url: dbUrl, schema: opts.schema, poolMax: 10 });
  const prefix = testPrefix(label);
  const bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-service` });
  const platform = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-platform` });
  const closeBackends = async () => {
    await bus.deleteTopology().catch(() => {});
    await platform.deleteTopology().catch(() => {});
    await Promise.all([bus.close(), platform.close()]);
    await db.close();
    await database.drop();
  };
  let service: S;
  const published: AnyEvent[] = [];
  try {
    await opts.migrations.apply(db);
    await Promise.all([bus.ready(), platform.ready()]);
    if (opts.observe.length) {
      await platform.subscribe({
        queue: 'observer_queue',
        bindings: opts.observe,
        handler: async (d) => void published.push(d.event),
      });
    }
    service = await opts.build({ db, bus });
    await service.app.ready();
  } catch (err) {
    await closeBackends();
    throw err;
  }
  const app = service.app;
  return {
    service,
    app,
    db,
    bus,
    platform,
    published,
    async emit(type, data) {
      const event = newEvent(type, data);
      await platform.publish([event as AnyEvent]);
      return event;
    },
    eventsFor: (orderId, type) =>
      published.filter((e) => e.type === type && (e.data as { orderId?: string }).orderId === orderId),
    async consumed(type) {
      const count = (outcome: string) => counterValue(app, 'events_consumed_total', { type, outcome });
      return { handled: await count('handled'), skipped: await count('skipped') };
    },
    async fastPaths(type) {
      const count = (result: string) => counterValue(app, 'events_fast_path_total', { type, result });
      return { applied: await count('applied'), fellBack: await count('fell_back') };
    },
    database,
    onClose(fn) {
      cleanups.push(fn);
    },
    async close() {
      await app.close();
      for (const fn of cleanups.splice(0)) await fn().catch(() => {});
      await closeBackends();
    },
  };
}
