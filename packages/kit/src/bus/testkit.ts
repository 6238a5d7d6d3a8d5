// Helpers for the bus tests: a migrated PostgreSQL schema with outbox, inbox and an effects table; sample events; name prefixes.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyEvent, EventOf } from '@microbazaar/contracts';
import { createPostgresDb, type Db, migrate, type Sql } from '../db.js';
import { createTestDatabase } from '../testing/backends.js';
import { eventsMigrations, newEvent } from './outbox.js';

export interface EventsTestDb {
  /** the database URL (for a second pool, e.g. a second relay instance) */
  url: string;
  db: Db;
  /** another pool on the same schema */
  connect(poolMax?: number): Db;
  drop(): Promise<void>;
}

export const TEST_SCHEMA = 'svc';

/**
 * A fresh database with the kit's outbox/inbox migrations applied through migrate()'s include
 * option, plus `effects`: one row per handler run, with no unique key, so a duplicate shows.
 */
export async function eventsTestDb(label: string, poolMax = 5): Promise<EventsTestDb> {
  const database = await createTestDatabase(label);
  const pools: Db[] = [];
  const connect = (max = poolMax) => {
    const db = createPostgresDb({ url: database.url, schema: TEST_SCHEMA, poolMax: max });
    pools.push(db);
    return db;
  };
  const db = connect();
  const serviceMigrations = mkdtempSync(join(tmpdir(), 'mbt-migrations-'));
  await migrate(db, serviceMigrations, { include: [eventsMigrations] });
  await db.exec(`CREATE TABLE effects (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL,
    consumer text NOT NULL,
    at timestamptz NOT NULL DEFAULT now())`);
  return {
    url: database.url,
    db,
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.close().catch(() => {})));
      await database.drop();
    },
  };
}

export function recordEffect(tx: Sql, event: AnyEvent, consumer: string) {
  return tx.query('INSERT INTO effects (event_id, consumer) VALUES ($1, $2)', [event.id, consumer]);
}

export async function effectCounts(db: Db, consumer: string): Promise<{ total: number; distinct: number }> {
  const [row] = await db.query<{ total: number; distinct: number }>(
    'SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct FROM effects WHERE consumer = $1',
    [consumer],
  );
  return { total: row?.total ?? 0, distinct: row?.distinct ?? 0 };
}

/** A unique exchange/queue prefix per test file, so parallel files never share a queue. */
export function testPrefix(label: string): string {
  return `t_${label}_${randomBytes(3).toString('hex')}_`;
}

export function orderCreated(correlationId: string = randomUUID()): EventOf<'order.created'> {
  return newEvent(
    'order.created',
    {
      orderId: randomUUID(),
      userId: randomUUID(),
      items: [{ productId: randomUUID(), quantity: 2, unitPrice: { amount: 1250, currency: 'USD' } }],
      total: { amount: 2500, currency: 'USD' },
    },
    { correlationId },
  );
}

const money = { amount: 2500, currency: 'USD' };

/** A valid event of any of the types the routing tests use. */
export function sampleEvent(type: AnyEvent['type']): AnyEvent {
  const orderId = randomUUID();
  const userId = randomUUID();
  const paymentId = randomUUID();
  const items = [{ productId: randomUUID(), quantity: 1, unitPrice: money }];
  switch (type) {
    case 'order.created':
      return newEvent(type, { orderId, userId, items, total: money });
    case 'order.cancelled':
      return newEvent(type, { orderId, userId, items, total: money, reason: 'customer' });
    case 'order.refunded':
      return newEvent(type, { orderId, userId, amount: money });
    case 'payment.failed':
      return newEvent(type, { orderId, paymentId, amount: money, reason: 'declined' });
    case 'payment.refunded':
      return newEvent(type, { orderId, paymentId, amount: money });
    case 'payment.succeeded':
      return newEvent(type, { orderId, paymentId, amount: money });
    case 'user.registered':
      return newEvent(type, { userId, email: 'ada@example.com', name: 'Ada' });
    case 'inventory.reserved':
      return newEvent(type, { orderId, lines: [{ productId: randomUUID(), quantity: 1 }] });
    default:
      throw new Error(`no sample for ${type}`);
  }
}

export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
