import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { startPeriodic, wakeLoop } from './periodic.js';
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
    // a job on the same interval runs three more times meanwhile: the stopped one would have too
    let witnessed = 0;
    const witness = startPeriodic('witness', 5, async () => void witnessed++, log);
    await eventually(() => expect(witnessed).toBeGreaterThanOrEqual(3), 2000);
    await witness.stop();
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

describe('wakeLoop', () => {
  it('never runs twice at once, turns the wakes of a run into one more run, and stops after the run in progress', async () => {
    let runs = 0;
    let running = 0;
    let maxRunning = 0;
    let release: () => void = () => {};
    const loop = wakeLoop(async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      running--;
    }, 3_600_000);
    loop.wake();
    loop.wake();
    loop.wake(); // both during the first run: one more run
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    const stopping = loop.stop(() => release());
    await stopping;
    expect(loop.stopped).toBe(true);
    loop.wake();
    await loop.idle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });
});
