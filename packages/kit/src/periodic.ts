// A background job that runs every interval, never overlapping itself, logging failures instead of dying.
import type { Logger } from './logger.js';

export interface Periodic {
  /** runs the job now (waits for a run in progress first) */
  runNow(): Promise<void>;
  /** no new runs; waits for the one in progress */
  stop(): Promise<void>;
}

export function startPeriodic(name: string, intervalMs: number, job: () => Promise<unknown>, log: Logger): Periodic {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): Promise<void> => {
    running ??= job()
      .then(
        () => {},
        (err: unknown) => log.warn({ err: (err as Error).message, job: name }, 'periodic job failed'),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void run();
  }, intervalMs);
  timer.unref();
  return {
    async runNow() {
      await running;
      await run();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
