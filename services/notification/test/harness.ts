// Builds the notification service on a fresh PostgreSQL database, Redis, and RabbitMQ (or the in-memory bus)
// with unique names, a JWKS served from loopback, and helpers to publish events and read streams.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import {
  type Bus,
  createLogger,
  createPostgresDb,
  type Db,
  type Env,
  MemoryBus,
  newEvent,
  RabbitBus,
  RedisCache,
  type Role,
} from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import {
  createTestDatabase,
  startTokenIssuer,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { buildApp, migrateNotification, type NotificationApp, type NotificationDeps } from '../src/app.js';
import { loadConfig, type NotificationConfig } from '../src/config.js';

export interface Jwks {
  url: string;
  /** an access token as the auth service issues it */
  sign(claims: { sub: string; role?: string; email?: string }, expiresIn?: string | number): Promise<string>;
  close(): Promise<void>;
}

/** The kit's token issuer with this file's sign({ sub, role, email }) shape. */
export async function startJwks(): Promise<Jwks> {
  const tokens = await startTokenIssuer();
  return {
    url: tokens.jwksUrl,
    sign: (claims, expiresIn = '5m') =>
      tokens.sign(claims.sub, (claims.role ?? 'customer') as Role, {
        email: claims.email ?? `${claims.sub}@example.com`,
        expiresIn,
      }),
    close: tokens.close,
  };
}

export interface Backends {
  database: TestDatabase;
  bus: Bus;
  jwks: Jwks;
  prefix: string;
  dataDir: string;
  /** one pool per service instance, as separate processes would have */
  pool(): Db;
  publish<T extends EventType>(
    type: T,
    data: EventData<T>,
    opts?: { id?: string; correlationId?: string },
  ): Promise<EventOf<T>>;
  /** publishes an event again as it was (a redelivery) */
  republish(event: AnyEvent): Promise<void>;
  close(): Promise<void>;
}

export async function startBackends(label: string, opts: { bus?: 'rabbitmq' | 'memory' } = {}): Promise<Backends> {
  const database = await createTestDatabase(`notif${label}`);
  const prefix = testPrefix(`n${label}`);
  const bus: Bus =
    opts.bus === 'memory'
      ? new MemoryBus({ prefix })
      : new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-notification-${label}` });
  if (bus instanceof RabbitBus) await bus.ready();
  const jwks = await startJwks();
  const pools: Db[] = [];
  const pool = () => {
    const db = createPostgresDb({ url: database.url, schema: 'notification', poolMax: 5 });
    pools.push(db);
    return db;
  };
  await migrateNotification(pool());
  return {
    database,
    bus,
    jwks,
    prefix,
    dataDir: mkdtempSync(join(tmpdir(), 'mbt-notification-')),
    pool,
    async publish(type, data, o = {}) {
      const event = newEvent(type, data, o);
      await bus.publish([event as AnyEvent]);
      return event;
    },
    async republish(event) {
      await bus.publish([event]);
    },
    async close() {
      if (bus instanceof RabbitBus) await bus.deleteTopology().catch(() => {});
      await bus.close();
      await Promise.all(pools.map((p) => p.close().catch(() => {})));
      await jwks.close();
      await database.drop();
    },
  };
}

export interface Service extends NotificationApp {
  url: string;
  config: NotificationConfig;
  db: Db;
  close(): Promise<void>;
}

/** One instance of the service on the backends, listening on a random loopback port. */
export async function startService(
  b: Backends,
  opts: { env?: Env } & Partial<Pick<NotificationDeps, 'email' | 'sms' | 'background' | 'live' | 'logger'>> = {},
): Promise<Service> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH_JWKS_URL: b.jwks.url,
    REDIS_URL: TEST_REDIS_URL,
    LIVE_CHANNEL: `${b.prefix}live`,
    DATA_DIR: b.dataDir,
    PUBLIC_URL: 'https://shop.example',
    DELIVERY_SWEEP_INTERVAL_MS: '50',
    DELIVERY_RETRY_DELAYS_MS: '50,100',
    DELIVERY_MAX_ATTEMPTS: '3',
    BUS_RETRY_DELAYS_MS: '100,200',
    ...opts.env,
  });
  const db = b.pool();
  const cache = new RedisCache(TEST_REDIS_URL, uniquePrefix(`notification:${b.prefix}`));
  const built = await buildApp({
    config,
    logger: opts.logger ?? createLogger('notification-test', config.LOG_LEVEL),
    db,
    cache,
    bus: b.bus,
    ...(opts.email ? { email: opts.email } : {}),
    ...(opts.sms ? { sms: opts.sms } : {}),
    ...(opts.live ? { live: opts.live } : {}),
    ...(opts.background === false ? { background: false } : {}),
  });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = built.app.server.address() as AddressInfo;
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    config,
    db,
    async close() {
      await built.app.close();
      await cache.close();
    },
  };
}

export const user = () => ({ id: randomUUID(), email: `u-${randomUUID().slice(0, 8)}@example.com` });

export const money = (amount: number) => ({ amount, currency: 'USD' });

/** An order.confirmed payload with two named lines. */
export function confirmedOrder(userId: string, orderId: string = randomUUID()): EventData<'order.confirmed'> {
  return {
    orderId,
    userId,
    items: [
      { productId: randomUUID(), name: 'Espresso cup', quantity: 2, unitPrice: money(1250) },
      { productId: randomUUID(), name: 'Milk jug <steel>', quantity: 1, unitPrice: money(1999) },
    ],
    total: money(4499),
  };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  /** Date.now() when it arrived */
  at: number;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  events: SseEvent[];
  comments: string[];
  /** the error body when status is not 200 */
  body?: string;
  /** resolves with the first event (already received or to come) that matches */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  ended: Promise<void>;
  close(): void;
}

/** Opens a server-sent-event stream over real HTTP and parses its frames. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }>();
      let buffer = '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (res.statusCode !== 200) {
          body += chunk;
          return;
        }
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut !== -1) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          const e: SseEvent = { event: 'message', data: '', at: Date.now() };
          let isEvent = false;
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              e.data += line.slice(6);
              isEvent = true;
            }
          }
          if (!isEvent) continue;
          events.push(e);
          for (const w of waiters) {
            if (w.match(e)) {
              waiters.delete(w);
              w.resolve(e);
            }
          }
        }
      });
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        next(match, timeoutMs = 10_000) {
          const found = events.find(match);
          if (found) return Promise.resolve(found);
          return new Promise((ok, fail) => {
            const waiter = {
              match,
              resolve: (e: SseEvent) => {
                clearTimeout(timer);
                ok(e);
              },
            };
            const timer = setTimeout(() => {
              waiters.delete(waiter);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
            }, timeoutMs);
            waiters.add(waiter);
          });
        },
        close: () => req.destroy(),
      };
      if (res.statusCode !== 200) {
        res.on('end', () => {
          client.body = body;
          resolve(client);
        });
      } else {
        resolve(client);
      }
    });
    req.on('error', reject);
    req.end();
  });
}
