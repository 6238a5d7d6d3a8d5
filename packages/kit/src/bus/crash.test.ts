// A message that kills its consumer process (not one that throws): a real child process consuming on RabbitMQ is
// SIGKILLed every time it gets the poison and restarted, as a supervisor would. The broker hands the message
// back each time (redelivered); each of those deliveries counts as an attempt, so after maxAttempts the message
// is parked in <queue>.dlq instead of killing the consumer for ever, and the consumer goes on with the rest.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, TEST_RABBITMQ_URL } from '../testing.js';
import { RabbitBus } from './rabbitmq.js';
import { orderCreated, testPrefix } from './testkit.js';

const QUEUE = 'crash_queue';
const MAX_ATTEMPTS = 3;
const WAIT = 60_000;

interface Report {
  ready?: boolean;
  delivered?: string;
  attempt?: number;
  redelivered?: boolean;
}

let bus: RabbitBus;
const prefix = testPrefix('crash');
const poison = orderCreated('req-poison');
const deliveries: Report[] = [];
let child: ChildProcess | undefined;
let kills = 0;
let starts = 0;
let stopping = false;

/** Starts the consumer process and restarts it whenever it dies, until the test is over. */
function supervise(): Promise<void> {
  return new Promise((resolve, reject) => {
    starts++;
    const proc = fork(join(import.meta.dirname, 'crash.fixture.ts'), {
      execArgv: ['--import', 'tsx'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CRASH_RABBITMQ_URL: TEST_RABBITMQ_URL,
        CRASH_PREFIX: prefix,
        CRASH_QUEUE: QUEUE,
        CRASH_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        CRASH_POISON_ID: poison.id,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = proc;
    proc.on('message', (m: Report) => {
      if (m.ready) resolve();
      if (!m.delivered) return;
      deliveries.push(m);
      if (m.delivered === poison.id) {
        kills++;
        proc.kill('SIGKILL');
      }
    });
    proc.once('exit', (code, signal) => {
      if (stopping) return;
      if (signal !== 'SIGKILL') reject(new Error(`the consumer exited on its own (${code ?? signal})`));
      else void supervise();
    });
  });
}

beforeAll(async () => {
  bus = new RabbitBus({
    url: TEST_RABBITMQ_URL,
    prefix,
    name: 'test-crash-publisher',
    policy: { maxAttempts: MAX_ATTEMPTS, retryDelaysMs: [50] },
  });
  await bus.ready();
});

afterAll(async () => {
  stopping = true;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await bus?.deleteTopology([QUEUE]);
  await bus?.close();
});

it('a message that kills its consumer process is parked in the DLQ after maxAttempts deliveries', async () => {
  await supervise(); // declares the queue
  const before = orderCreated();
  await bus.publish([before, poison]);

  const [dead] = await eventually(async () => {
    const list = await bus.deadLetters.list(QUEUE);
    expect(list).toHaveLength(1);
    return list;
  }, WAIT);
  expect(dead).toMatchObject({ id: poison.id, type: 'order.created', reason: 'consumer_died', attempts: MAX_ATTEMPTS });
  expect(dead?.headers['x-correlation-id']).toBe('req-poison');
  expect(JSON.parse(dead?.content ?? '{}')).toEqual(poison);

  // the process died once per attempt, on the poison, and was never handed it again after the last
  const poisoned = deliveries.filter((d) => d.delivered === poison.id);
  expect(poisoned.map((d) => d.attempt)).toEqual([1, 2, 3]);
  expect(poisoned.map((d) => d.redelivered)).toEqual([false, true, true]);
  expect(kills).toBe(MAX_ATTEMPTS);

  // the restarted consumer is healthy: it gets what comes next
  const after = orderCreated();
  await bus.publish([after]);
  await eventually(() => expect(deliveries.map((d) => d.delivered)).toContain(after.id), WAIT);
  expect(deliveries.map((d) => d.delivered)).toContain(before.id);
  expect(deliveries.filter((d) => d.delivered === poison.id)).toHaveLength(MAX_ATTEMPTS);
  expect(starts).toBe(MAX_ATTEMPTS + 1);
}, 120_000);
