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

export interface WakeLoop {
  /** asks for a run: starts one, or one more after the run in progress (wakes meanwhile coalesce) */
  wake(): void;
  /** true once stop() was called: long runs check it between steps */
  readonly stopped: boolean;
  /** resolves when no run is in progress */
  idle(): Promise<void>;
  /** no new runs; `interrupt` cuts a run's wait short; then waits for the run in progress */
  stop(interrupt?: () => void): Promise<void>;
}

/**
 * A job run on demand (a NOTIFY, a new row) and by a sweep every `sweepIntervalMs` (a missed wake-up):
 * never two runs at once, never a wake lost while a run is under way.
 */
export function wakeLoop(run: () => Promise<void>, sweepIntervalMs: number): WakeLoop {
  let stopped = false;
  let wanted = false;
  let loop: Promise<void> | undefined;
  const wake = () => {
    if (stopped) return;
    wanted = true;
    if (loop) return;
    loop = (async () => {
      while (wanted && !stopped) {
        wanted = false;
        await run();
      }
    })().finally(() => {
      loop = undefined;
    });
  };
  const sweep = setInterval(wake, sweepIntervalMs);
  sweep.unref();
  return {
    wake,
    get stopped() {
      return stopped;
    },
    idle: async () => {
      await loop;
    },
    async stop(interrupt) {
      stopped = true;
      clearInterval(sweep);
      interrupt?.();
      await loop;
    },
  };
}
