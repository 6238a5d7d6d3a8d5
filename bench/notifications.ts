// `npm run bench:notifications`: events/s turned into stored in-app notices and server-sent-event deliveries,
// with 1 000 stream clients connected.
//
// The notification service runs in a child process on the real backends (PostgreSQL, RabbitMQ, Redis for
// the live fan-out), as in distributed mode; this process holds the 1 000 streams (one per user, over
// loopback HTTP) and publishes order.shipped events to RabbitMQ in confirmed batches, each for one of
// those users. An event counts as delivered when its notice arrives on its user's stream; the latency
// is from the publish to that arrival. Saturated runs publish as fast as the broker confirms; paced runs
// hold a fixed rate to show latency below saturation. Users have email off, so each event is one
// in-app notice (mail sending is measured apart from event handling by design).
// Env: BENCH_EVENTS (default 10000), BENCH_CLIENTS (1000), BENCH_RATE (paced run, events/s, 500),
// RABBITMQ_URL / REDIS_URL (default: the test backends on 127.0.0.1), BENCH_PROFILE_SERVICE=<dir> writes a
// CPU profile of the service process there.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AnyEvent, QUEUES } from '@microbazaar/contracts';
import { createLogger, createPostgresDb, newEvent, openBus, RabbitBus, RedisCache } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { createTestDatabase, startTokenIssuer, TEST_RABBITMQ_URL, TEST_REDIS_URL } from '@microbazaar/kit/testing';
import { buildApp, migrations } from '../services/notification/src/app.js';
import { loadConfig } from '../services/notification/src/config.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const RABBITMQ_URL = process.env.RABBITMQ_URL ?? TEST_RABBITMQ_URL;
const REDIS_URL = process.env.REDIS_URL ?? TEST_REDIS_URL;
const BATCH = 200;

interface ServeArgs {
  databaseUrl: string;
  prefix: string;
  jwksUrl: string;
}

// ---- the service process ----
async function serve(args: ServeArgs): Promise<void> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    // no mail goes out (email is off for every bench user); the embedded mailbox stays out of the repository
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-notifications-')),
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: args.databaseUrl,
    REDIS_URL,
    RABBITMQ_URL,
    AUTH_JWKS_URL: args.jwksUrl,
    LIVE_CHANNEL: `${args.prefix}live`,
    STREAM_MAX_PER_USER: '10',
  });
  const logger = createLogger('notification-bench', config.LOG_LEVEL);
  const db = createPostgresDb({ url: args.databaseUrl, schema: config.DB_SCHEMA, poolMax: config.DATABASE_POOL_MAX });
  const cache = new RedisCache(REDIS_URL, `${args.prefix}cache:`);
  const bus = openBus(config, { name: 'notification-bench', logger, prefix: args.prefix });
  const { app } = await buildApp({ config, logger, db, cache, bus });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ url: `http://127.0.0.1:${port}` });
  process.on('message', async () => {
    await app.close();
    await bus.close();
    await cache.close();
    await db.close();
    process.send?.({ stopped: true });
    process.disconnect();
  });
}

function startServiceProcess(args: ServeArgs): { url: Promise<string>; stop(): Promise<void> } {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['serve', JSON.stringify(args)], {
    execArgv: [
      ...process.execArgv,
      ...(process.env.BENCH_PROFILE_SERVICE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_SERVICE}`]
        : []),
    ],
    stdio: 'inherit',
  });
  const url = new Promise<string>((resolve, reject) => {
    child.on('message', (m: { url?: string }) => m.url && resolve(m.url));
    child.once('exit', (code) => reject(new Error(`service process exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('message', (m: { stopped?: boolean }) => m.stopped && resolve());
        child.send('stop');
      }),
  };
}

// ---- the client side ----
interface Stream {
  close(): void;
}

/** One SSE stream; calls onNotice(orderId, receivedAt) per notification frame. */
function openStream(url: string, token: string, onReady: () => void, onNotice: (orderId: string) => void) {
  return new Promise<Stream>((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut !== -1) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          if (frame.includes('event: ready')) onReady();
          else if (frame.includes('event: notification')) {
            const data = frame.slice(frame.indexOf('data: ') + 6);
            onNotice((JSON.parse(data) as { data: { orderId: string } }).data.orderId);
          }
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Figures {
  scenario: string;
  events: number;
  stored: number;
  storedPerSecond: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

async function main(): Promise<void> {
  const database = await createTestDatabase('benchnotifications');
  const prefix = testPrefix('benchnotif');
  const jwks = await startTokenIssuer();
  const db = createPostgresDb({ url: database.url, schema: 'notification', poolMax: 2 });
  await migrations.apply(db);

  const users = Array.from({ length: CLIENTS }, () => randomUUID());
  // email off for everyone: each event is one in-app notice
  for (let i = 0; i < users.length; i += 500) {
    const slice = users.slice(i, i + 500);
    await db.query(
      `INSERT INTO preferences (user_id, email, sms, in_app) SELECT u, false, false, true FROM unnest($1::uuid[]) u`,
      [slice],
    );
  }

  const service = startServiceProcess({ databaseUrl: database.url, prefix, jwksUrl: jwks.jwksUrl });
  const serviceUrl = await service.url;
  const publisher = new RabbitBus({ url: RABBITMQ_URL, prefix, name: 'bench-publisher' });
  await publisher.ready();

  const publishedAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let lastReceivedAt = 0;
  let onReceived: () => void = () => {};
  const onNotice = (orderId: string) => {
    const at = performance.now();
    const sent = publishedAt.get(orderId);
    if (sent === undefined) return;
    latencies.push(at - sent);
    received++;
    lastReceivedAt = at;
    onReceived();
  };

  console.log(`opening ${CLIENTS} streams...`);
  let ready = 0;
  const connectStarted = performance.now();
  const streams: Stream[] = [];
  for (let i = 0; i < users.length; i += 100) {
    const slice = users.slice(i, i + 100);
    const tokens = await Promise.all(
      slice.map((sub) => jwks.sign(sub, 'customer', { email: `${sub}@bench.example`, expiresIn: '1h' })),
    );
    streams.push(
      ...(await Promise.all(
        tokens.map((token) =>
          openStream(
            `${serviceUrl}/api/notifications/stream`,
            token,
            () => {
              ready++;
            },
            onNotice,
          ),
        ),
      )),
    );
  }
  while (ready < CLIENTS) await new Promise((r) => setTimeout(r, 20));
  console.log(`${CLIENTS} streams open and ready in ${Math.round(performance.now() - connectStarted)} ms`);

  const storedCount = async () =>
    Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notices'))[0]?.n ?? 0);

  const run = async (scenario: string, count: number, rate?: number): Promise<Figures> => {
    latencies.length = 0;
    received = 0;
    const baseline = await storedCount();
    const events: AnyEvent[] = Array.from(
      { length: count },
      (_, i) =>
        newEvent('order.shipped', {
          orderId: randomUUID(),
          userId: users[i % users.length] as string,
          carrier: 'DHL',
        }) as AnyEvent,
    );
    const done = new Promise<void>((resolve) => {
      onReceived = () => received >= count && resolve();
    });
    // stored notices, polled: the moment the last one committed
    let storedAt = 0;
    let stored = 0;
    const poll = (async () => {
      while (stored < count) {
        stored = (await storedCount()) - baseline;
        storedAt = performance.now();
        if (stored < count) await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const started = performance.now();
    const batch = rate ? Math.max(1, Math.round(rate / 20)) : BATCH;
    for (let i = 0; i < events.length; i += batch) {
      const slice = events.slice(i, i + batch);
      if (rate) {
        const due = started + (i / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const at = performance.now();
      for (const e of slice) publishedAt.set((e.data as { orderId: string }).orderId, at);
      await publisher.publish(slice);
    }
    const sleep = (ms: number) => new Promise<boolean>((r) => setTimeout(() => r(true), ms));
    if (await Promise.race([done.then(() => false), sleep(180_000)])) {
      console.error(`${scenario}: only ${received}/${count} delivered after 180 s`);
    }
    await Promise.race([poll, sleep(30_000)]);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      scenario,
      events: count,
      stored,
      storedPerSecond: Math.round(stored / ((storedAt - started) / 1000)),
      deliveredPerSecond: Math.round(latencies.length / ((lastReceivedAt - started) / 1000)),
      p50: Math.round(percentile(sorted, 50)),
      p99: Math.round(percentile(sorted, 99)),
      max: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
    };
  };

  const rows: Figures[] = [];
  try {
    await run('warm-up', Math.min(1000, EVENTS));
    rows.push(await run(`saturated, ${CLIENTS} streams`, EVENTS));
    rows.push(await run(`paced ${RATE}/s, ${CLIENTS} streams`, Math.min(EVENTS, RATE * 10), RATE));
  } finally {
    for (const s of streams) s.close();
    await service.stop();
    // the queue was declared by the service process: declare it here too, so deleteTopology removes it
    await publisher
      .subscribe({ queue: QUEUES.notifications, bindings: ['order.shipped'], handler: async () => {} })
      .then((s) => s.close());
    await publisher.deleteTopology().catch(() => {});
    await publisher.close();
    await db.close();
    await jwks.close();
    await database.drop();
  }

  console.log(
    `\nnpm run bench:notifications: order.shipped → RabbitMQ → notification (inbox, notice stored) → Redis → SSE, ${CLIENTS} streams open`,
  );
  console.log('| scenario | events | stored notices/s | SSE deliveries/s | p50 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.events} | ${r.storedPerSecond} | ${r.deliveredPerSecond} | ${r.p50} | ${r.p99} | ${r.max} |`,
    );
  }
  const lost = rows.filter((r) => r.stored !== r.events);
  if (lost.length) console.error(`stored notices short of events: ${lost.map((r) => r.scenario).join(', ')}`);
}

if (process.argv[2] === 'serve') {
  await serve(JSON.parse(process.argv[3] as string) as ServeArgs);
} else {
  await main();
  process.exit(0);
}
