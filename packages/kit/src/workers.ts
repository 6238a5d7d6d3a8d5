// A service's background workers (outbox relay, queue consumer, periodic jobs): started in order, stopped on close.
import type { App } from './app.js';

/**
 * The one switch every service's buildApp deps take for its background work: `workers: false` builds
 * the HTTP side only (no consumer, relay, sweeper or dispatcher), for an HTTP-only instance or a test
 * of the routes alone. buildApp: `const workers = deps.workers === false ? undefined : await startWorkers(...)`.
 */
export interface WorkersOption {
  /** run the background work (default true) */
  workers?: boolean | undefined;
}

/** What a service runs in the background: a relay or a periodic job (stop) or a subscription (close). */
export type Worker = { stop(): Promise<void> } | { close(): Promise<void> };

const stopWorker = (worker: Worker) => ('stop' in worker ? worker.stop() : worker.close());

/**
 * Runs `start`, which starts workers and hands each to `add`. They are stopped when the app closes,
 * newest first: start the relay first and the consumer last, and on close the consumer stops taking
 * events (its in-flight handlers finish and ack) before the jobs that write and, last, the relay that
 * publishes what they wrote. If `start` fails, the workers it started are stopped and the error rethrown.
 */
export async function startWorkers<T>(
  app: App,
  start: (add: <W extends Worker>(worker: W) => W) => Promise<T>,
): Promise<T> {
  const started: Worker[] = [];
  const stopAll = async () => {
    for (const worker of started.splice(0).reverse()) await stopWorker(worker);
  };
  app.addHook('onClose', stopAll);
  try {
    return await start((worker) => {
      started.push(worker);
      return worker;
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
}
