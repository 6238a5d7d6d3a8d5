// The notification service on the kit's service harness (a fresh PostgreSQL database, a RabbitMQ name prefix, a
// second bus publishing the shop's events), with Redis for the live fan-out and stream tickets, the auth service's
// keys on loopback, more instances on the same backends, and a reader of server-sent-event streams.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import { createLogger, createPostgresDb, type Db, type Env, newEvent, RedisCache, type Role } from '@microbazaar/kit';
import {
  type ServiceHarness,
  startServiceHarness,
  startTokenIssuer,
  TEST_REDIS_URL,
  type TokenIssuer,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { buildApp, migrations, type NotificationDeps, type NotificationService } from '../src/app.js';
import { loadConfig, type NotificationConfig } from '../src/config.js';

export interface Jwks {
  url: string;
  /** an access token as the auth service issues it */
  sign(claims: { sub: string; role?: string; email?: string }, expiresIn?: string | number): Promise<string>;
}

/** The kit's token issuer (the auth service's keys on loopback) with a sign({ sub, role, email }) shape. */
export async function startJwks(): Promise<Jwks & { close(): Promise<void> }> {
  const tokens = await startTokenIssuer();
  return { ...jwksOf(tokens), close: tokens.close };
}

function jwksOf(tokens: TokenIssuer): Jwks {
  return {
    url: tokens.jwksUrl,
    sign: (claims, expiresIn = '5m') =>
      tokens.sign(claims.sub, (claims.role ?? 'customer') as Role, {
        email: claims.email ?? `${claims.sub}@example.com`,
        expiresIn,
      }),
  };
}

export type InstanceOptions = { env?: Env } & Partial<
  Pick<NotificationDeps, 'email' | 'sms' | 'workers' | 'live' | 'logger'>
>;

/** One instance of the service, listening on a random loopback port. */
export interface Service extends NotificationService {
  url: string;
  config: NotificationConfig;
  db: Db;
  close(): Promise<void>;
}

export interface NotificationHarness extends ServiceHarness<NotificationService> {
  /** the first instance: it consumes notifications_queue and runs the dispatcher (unless workers: false) */
  main: Service;
  jwks: Jwks;
  dataDir: string;
  /** publishes an event as another service would (an id of one's own makes a duplicate) */
  publish<T extends EventType>(
    type: T,
    data: EventData<T>,
    opts?: { id?: string; correlationId?: string },
  ): Promise<EventOf<T>>;
  /** publishes an event again as it was (a redelivery) */
  republish(event: AnyEvent): Promise<void>;
  /** another instance on the same database (its own pool), bus and Redis, closed with the harness */
  instance(opts?: InstanceOptions): Promise<Service>;
}

export async function startNotificationHarness(
  label: string,
  opts: InstanceOptions = {},
): Promise<NotificationHarness> {
  const tokens = await startTokenIssuer();
  const jwks = jwksOf(tokens);
  const dataDir = mkdtempSync(join(tmpdir(), 'mbt-notification-'));
  const prefix = uniquePrefix(`n${label}`);
  const configOf = (env: Env = {}) =>
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      AUTH_JWKS_URL: jwks.url,
      REDIS_URL: TEST_REDIS_URL,
      LIVE_CHANNEL: `${prefix}live`,
      DATA_DIR: dataDir,
      PUBLIC_URL: 'https://shop.example',
      DELIVERY_SWEEP_INTERVAL_MS: '50',
      DELIVERY_RETRY_DELAYS_MS: '50,100',
      DELIVERY_MAX_ATTEMPTS: '3',
      BUS_RETRY_DELAYS_MS: '100,200',
      ...env,
    });
  /** builds an instance on a pool and the bus, listening; close() closes what it opened */
  const start = async (
    db: Db,
    bus: NotificationDeps['bus'],
    o: InstanceOptions,
    closeDb: boolean,
  ): Promise<Service> => {
    const config = configOf(o.env);
    const cache = new RedisCache(TEST_REDIS_URL, uniquePrefix(`notification:${prefix}`));
    const built = await buildApp({
      config,
      logger: o.logger ?? createLogger('notification-test', config.LOG_LEVEL),
      db,
      cache,
      bus,
      ...(o.email ? { email: o.email } : {}),
      ...(o.sms ? { sms: o.sms } : {}),
      ...(o.live ? { live: o.live } : {}),
      ...(o.workers === false ? { workers: false } : {}),
    }).catch(async (err: unknown) => {
      await cache.close();
      throw err;
    });
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = built.app.server.address() as AddressInfo;
    let closing: Promise<void> | undefined;
    return {
      ...built,
      url: `http://127.0.0.1:${port}`,
      config,
      db,
      // a test may close an instance itself; the harness closes it again at the end
      close: () =>
        (closing ??= (async () => {
          await built.app.close();
          await cache.close();
          if (closeDb) await db.close();
        })()),
    };
  };

  let main: Service | undefined;
  const h = await startServiceHarness({
    label: `notif${label}`,
    schema: 'notification',
    migrations,
    observe: [],
    build: async ({ db, bus }) => {
      main = await start(db, bus, opts, false);
      return main;
    },
  }).catch(async (err: unknown) => {
    await main?.close();
    await tokens.close();
    throw err;
  });
  const instances: Service[] = [];
  h.onClose(async () => {
    for (const s of instances.splice(0)) await s.close().catch(() => {});
    await main?.close();
    await tokens.close();
  });
  return {
    ...h,
    main: main as Service,
    jwks,
    dataDir,
    async publish(type, data, o = {}) {
      const event = newEvent(type, data, o);
      await h.platform.publish([event as AnyEvent]);
      return event;
    },
    async republish(event) {
      await h.platform.publish([event]);
    },
    async instance(o = {}) {
      const db = createPostgresDb({ url: h.database.url, schema: 'notification', poolMax: 5 });
      const svc = await start(db, h.bus, o, true).catch(async (err: unknown) => {
        await db.close();
        throw err;
      });
      instances.push(svc);
      return svc;
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
