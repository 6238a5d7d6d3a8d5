import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { startPeriodic } from './periodic.js';
import { eventually } from './testing.js';

const log = createLogger('periodic-test', 'silent');

describe('startPeriodic', () => {
  it('runs on its interval and never overlaps itself', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const job = startPeriodic(
      'overlap',
      5,
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 30));
        active -= 1;
        runs += 1;
      },
      log,
    );
    await eventually(() => expect(runs).toBeGreaterThanOrEqual(3), 2000);
    await job.stop();
    expect(maxActive).toBe(1);
  });

  it('survives a failing run and stops cleanly', async () => {
    let calls = 0;
    const job = startPeriodic(
      'flaky',
      5,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
      },
      log,
    );
    await eventually(() => expect(calls).toBeGreaterThanOrEqual(2), 2000);
    await job.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(after);
  });

  it('runNow waits for the run', async () => {
    let done = 0;
    const job = startPeriodic(
      'now',
      60_000,
      async () => {
        done += 1;
      },
      log,
    );
    await job.runNow();
    expect(done).toBe(1);
    await job.stop();
  });
});
