// Broker restart mid-stream: 1 000 events through outbox → RabbitMQ → inbox while the broker's listener goes away and comes back.
//
// How the restart is made: the relay's and the consumer's bus connect to RabbitMQ through a TCP
// proxy owned by this test. "Stopping the broker" destroys every proxied connection at once (the
// clients see the socket die, as on a broker restart: unconfirmed publishes fail, unacked
// deliveries go back to their queue) and refuses new connections until "starting" it again. The
// real RabbitMQ server, shared with other test files, is never touched.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, TEST_RABBITMQ_URL } from '../testing.js';
import { inboxHandler } from './inbox.js';
import { enqueueEvents, type OutboxRelay, startOutboxRelay } from './outbox.js';
import { RabbitBus } from './rabbitmq.js';
import { type EventsTestDb, effectCounts, eventsTestDb, orderCreated, recordEffect, testPrefix } from './testkit.js';

class BrokerListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private accepting = true;
  port = 0;

  async start(): Promise<void> {
    const upstream = new URL(TEST_RABBITMQ_URL);
    this.server = createServer((client) => {
      if (!this.accepting) {
        client.destroy();
        return;
      }
      const broker = tcpConnect({ host: upstream.hostname, port: Number(upstream.port || 5672) });
      for (const s of [client, broker]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(broker);
      broker.pipe(client);
      client.on('close', () => broker.destroy());
      broker.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  get url(): string {
    const u = new URL(TEST_RABBITMQ_URL);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Broker "stops": every connection dies and new ones are refused. */
  stop(): void {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
  }

  /** Broker "starts" again. */
  resume(): void {
    this.accepting = true;
  }

  async close(): Promise<void> {
    this.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const TOTAL = 1000;
const QUEUE = 'restart_queue';

let tdb: EventsTestDb;
let listener: BrokerListener;
let publisherBus: RabbitBus;
let consumerBus: RabbitBus;
let relay: OutboxRelay;
const logs: { msg: string }[] = [];

beforeAll(async () => {
  tdb = await eventsTestDb('restart', 8);
  listener = new BrokerListener();
  await listener.start();
  const prefix = testPrefix('restart');
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  // the relay's service and the consumer's service are separate processes in production: separate buses here
  publisherBus = new RabbitBus({ url: listener.url, prefix, name: 'test-restart-publisher', logger });
  consumerBus = new RabbitBus({ url: listener.url, prefix, name: 'test-restart-consumer', logger });
  await Promise.all([publisherBus.ready(), consumerBus.ready()]);
});

afterAll(async () => {
  await relay?.stop();
  await consumerBus?.close();
  // clean up through a direct connection: the proxy is gone by then
  const cleaner = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: publisherBus.prefix, name: 'test-restart-cleanup' });
  await cleaner.deleteTopology([QUEUE, 'late_queue']);
  await cleaner.close();
  await publisherBus?.close();
  await listener?.close();
  await tdb?.drop();
});

it('1 000 events published across a broker restart are all handled exactly once', async () => {
  const stats = { handled: 0, skipped: 0 };
  const inner = inboxHandler(tdb.db, QUEUE, {
    'order.created': async (tx, event) => {
      await recordEffect(tx, event, QUEUE);
    },
  });
  await consumerBus.subscribe({
    queue: QUEUE,
    bindings: ['order.created'],
    prefetch: 50,
    handler: async (d) => {
      const outcome = await inner(d);
      if (outcome?.status === 'skipped') stats.skipped++;
      else stats.handled++;
      return outcome;
    },
  });
  relay = await startOutboxRelay({ db: tdb.db, bus: publisherBus, batchSize: 50, sweepIntervalMs: 200 });

  const events = Array.from({ length: TOTAL }, () => orderCreated());
  // 10 events per transaction, 4 writers at a time
  const write = async (slice: typeof events) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < slice.length) {
          const batch = slice.slice(next, next + 10);
          next += batch.length;
          await tdb.db.transaction((tx) => enqueueEvents(tx, batch));
        }
      }),
    );
  };

  // the first half goes out, and the broker stops while it is being consumed
  await write(events.slice(0, TOTAL / 2));
  await eventually(() => expect(stats.handled).toBeGreaterThanOrEqual(100), 30_000, 2);
  const handledAtStop = stats.handled;
  listener.stop();
  await eventually(async () => {
    await expect(publisherBus.ping()).rejects.toThrow();
    await expect(consumerBus.ping()).rejects.toThrow();
  }, 10_000);
  // the second half is committed while the broker is down: the relay keeps failing and retrying
  await write(events.slice(TOTAL / 2));
  await new Promise((r) => setTimeout(r, 500));
  listener.resume();

  await eventually(
    async () => expect(await effectCounts(tdb.db, QUEUE)).toEqual({ total: TOTAL, distinct: TOTAL }),
    45_000,
  );
  // rows published before the drop whose confirm was lost stay pending until the relay gets a confirm
  await eventually(async () => {
    const [pending] = await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    expect(pending?.n).toBe(0);
  }, 30_000);
  expect(await effectCounts(tdb.db, QUEUE)).toEqual({ total: TOTAL, distinct: TOTAL });
  expect(await consumerBus.deadLetters.list(QUEUE)).toEqual([]);
  const [inbox] = await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox WHERE consumer = $1', [
    QUEUE,
  ]);
  expect(inbox?.n).toBe(TOTAL);
  // the restart happened mid-stream and both sides came back
  expect(handledAtStop).toBeLessThan(TOTAL);
  expect(logs.some((l) => l.msg === 'RabbitMQ connection lost')).toBe(true);
  expect(logs.filter((l) => l.msg === 'RabbitMQ connection restored').length).toBeGreaterThanOrEqual(2);
  await expect(publisherBus.ping()).resolves.toBeUndefined();
  await expect(consumerBus.ping()).resolves.toBeUndefined();
  // redeliveries of work that was committed but not acked were skipped by the inbox, not redone
  expect(stats.handled).toBe(TOTAL);
  console.info(`restart: handled ${handledAtStop} before the stop, ${stats.skipped} redeliveries skipped by the inbox`);
}, 60_000);

it('a consumer subscribed while the broker is down starts consuming once it is back', async () => {
  listener.stop();
  const late = new RabbitBus({
    url: listener.url,
    prefix: publisherBus.prefix,
    name: 'test-restart-late',
    publishTimeoutMs: 300,
  });
  const got: string[] = [];
  try {
    const sub = await late.subscribe({
      queue: 'late_queue',
      bindings: ['order.created'],
      handler: async ({ event }) => void got.push(event.id),
    });
    await expect(late.ping()).rejects.toThrow(/RabbitMQ unreachable/);
    listener.resume();
    await eventually(() => expect(late.ping()).resolves.toBeUndefined(), 20_000);
    const event = orderCreated();
    // the queue exists once the late consumer declared it: publish until that happened
    await eventually(
      async () => {
        await publisherBus.publish([event]);
        expect(got).toContain(event.id);
      },
      20_000,
      200,
    );
    await sub.close();
  } finally {
    await late.close();
  }
}, 60_000);
