import { describe, expect, it } from 'vitest';
import { afterFailure } from './delivery.js';

const policy = { maxAttempts: 4, retryDelaysMs: [1000, 5000, 30_000] };
const now = new Date('2026-01-01T00:00:00Z');

describe('afterFailure', () => {
  it('waits the delay of the attempt that failed, the last delay repeating, with ±20% jitter', () => {
    const at = (attempts: number, random: number) => {
      const next = afterFailure({ ...policy, maxAttempts: 10 }, attempts, false, now, () => random);
      return next.status === 'pending' ? next.nextAttemptAt.getTime() - now.getTime() : -1;
    };
    expect(at(1, 0.5)).toBe(1000);
    expect(at(2, 0.5)).toBe(5000);
    expect(at(3, 0.5)).toBe(30_000);
    expect(at(7, 0.5)).toBe(30_000);
    expect(at(1, 0)).toBe(800);
    expect(at(1, 1)).toBe(1200);
  });

  it('gives up after the last attempt, or at once when the failure is permanent', () => {
    expect(afterFailure(policy, 3, false, now).status).toBe('pending');
    expect(afterFailure(policy, 4, false, now)).toEqual({ status: 'failed' });
    expect(afterFailure(policy, 1, true, now)).toEqual({ status: 'failed' });
    expect(afterFailure({ maxAttempts: 1, retryDelaysMs: [] }, 1, false, now)).toEqual({ status: 'failed' });
  });
});
