// A consumer process for crash.test.ts: consumes one queue on RabbitMQ and reports every delivery to its parent
// over IPC. The parent SIGKILLs it when it reports the poison message, as an out-of-memory kill or a segfault would.
import { RabbitBus } from './rabbitmq.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const report = (message: Record<string, unknown>) => process.send?.(message);

const bus = new RabbitBus({
  url: env('CRASH_RABBITMQ_URL'),
  prefix: env('CRASH_PREFIX'),
  name: 'test-crash-consumer',
  policy: { maxAttempts: Number(env('CRASH_MAX_ATTEMPTS')), retryDelaysMs: [50] },
});
const poisonId = env('CRASH_POISON_ID');
await bus.subscribe({
  queue: env('CRASH_QUEUE'),
  bindings: ['order.created'],
  handler: async ({ event, attempt, redelivered }) => {
    report({ delivered: event.id, attempt, redelivered });
    // the poison never finishes here: the parent kills the process on the report above
    if (event.id === poisonId) await new Promise(() => {});
  },
});
report({ ready: true });
