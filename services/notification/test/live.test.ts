// The live fan-out when Redis goes away: the service starts anyway and says so at /health/ready, recovers by
// itself, and streams that stayed open get what was published meanwhile. Redis sits behind a loopback TCP proxy
// the test takes down (refusing connections, cutting the open ones) and brings back.
import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { createLogger } from '@microbazaar/kit';
import { eventually, TEST_RABBITMQ_URL, TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type NotificationHarness,
  openStream,
  type Service,
  type SseClient,
  startNotificationHarness,
  user,
} from './harness.js';

const WAIT = 15_000;

interface RedisProxy {
  /** REDIS_URL through the proxy */
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
}

async function startRedisProxy(): Promise<RedisProxy> {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(TEST_REDIS_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

/** its main instance consumes the queue and publishes live notices on the real Redis */
let b: NotificationHarness;
const streams: SseClient[] = [];

beforeAll(async () => {
  b = await startNotificationHarness('live');
});

afterAll(async () => {
  for (const s of streams) s.close();
  await b?.close();
});

async function ready(svc: Service) {
  const res = await svc.app.inject('/health/ready');
  return { status: res.statusCode, checks: res.json().checks as Record<string, string> };
}

async function stored(svc: Service, u: { id: string; email: string }): Promise<number> {
  const res = await svc.app.inject({
    url: '/api/notifications?limit=100',
    headers: { authorization: `Bearer ${await b.jwks.sign({ sub: u.id, email: u.email })}` },
  });
  return (res.json() as { items: unknown[] }).items.length;
}

const notices = (s: SseClient) => s.events.filter((e) => e.event === 'notification');

describe('Redis unreachable', () => {
  it('starts anyway, answers 503 at /health/ready naming the live fan-out, and recovers by itself', async () => {
    const proxy = await startRedisProxy();
    await proxy.down();
    const started = Date.now();
    const svc = await b.instance({ workers: false, env: { REDIS_URL: proxy.url } });
    expect(Date.now() - started).toBeLessThan(WAIT);
    const down = await ready(svc);
    expect(down.status).toBe(503);
    expect(down.checks).toMatchObject({ db: 'ok', cache: 'ok', bus: 'ok' });
    expect(down.checks.live).toMatch(/^down: /);
    // the rest of the service works meanwhile
    expect(await stored(svc, user())).toBe(0);

    await proxy.up();
    await eventually(async () => expect(await ready(svc)).toMatchObject({ status: 200 }), WAIT);
  });

  it('streams that stayed open through an outage get the notices published meanwhile, once', async () => {
    const proxy = await startRedisProxy();
    // serves the stream; every notice it writes came over Redis (through the proxy) or from the catch-up
    const edge = await b.instance({ workers: false, env: { REDIS_URL: proxy.url } });
    await eventually(async () => expect((await ready(edge)).status).toBe(200), WAIT);
    const u = user();
    const stream = await openStream(`${edge.url}/api/notifications/stream`, {
      authorization: `Bearer ${await b.jwks.sign({ sub: u.id, email: u.email })}`,
    });
    streams.push(stream);
    await stream.next((e) => e.event === 'ready');
    const type = (e: { data: string }) => JSON.parse(e.data).type as string;

    await b.publish('order.shipped', { orderId: randomUUID(), userId: u.id });
    await stream.next((e) => e.event === 'notification' && type(e) === 'order.shipped', WAIT);

    await proxy.down();
    await eventually(async () => expect((await ready(edge)).status).toBe(503), WAIT);
    await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    await eventually(async () => expect(await stored(edge, u)).toBe(2), WAIT);
    expect(notices(stream)).toHaveLength(1);

    await proxy.up();
    await stream.next((e) => e.event === 'notification' && type(e) === 'order.delivered', WAIT);
    // and live again afterwards
    await eventually(async () => expect((await ready(edge)).status).toBe(200), WAIT);
    await b.publish('order.cancelled', {
      orderId: randomUUID(),
      userId: u.id,
      items: [{ productId: randomUUID(), quantity: 1, unitPrice: { amount: 100, currency: 'USD' } }],
      total: { amount: 100, currency: 'USD' },
      reason: 'customer',
    });
    await stream.next((e) => e.event === 'notification' && type(e) === 'order.cancelled', WAIT);
    expect(notices(stream).map(type)).toEqual(['order.shipped', 'order.delivered', 'order.cancelled']);
    const ids = notices(stream).map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
  });
});

describe('without REDIS_URL', () => {
  it('warns at start when RabbitMQ says there may be several instances, not in embedded mode', async () => {
    const logger = createLogger('notification-test', 'silent');
    const warn = vi.spyOn(logger, 'warn');
    await b.instance({
      workers: false,
      logger,
      env: { REDIS_URL: '', RABBITMQ_URL: TEST_RABBITMQ_URL },
    });
    const warnings = () => warn.mock.calls.map((args) => args.find((a) => typeof a === 'string'));
    expect(warnings()).toContain(
      'REDIS_URL is not set: live notices reach only streams on this instance; set REDIS_URL when running several instances',
    );

    warn.mockClear();
    const embedded = await b.instance({ workers: false, logger, env: { REDIS_URL: '' } });
    expect(warnings().filter((w) => w?.includes('REDIS_URL'))).toEqual([]);
    expect((await ready(embedded)).status).toBe(200);
  });
});
