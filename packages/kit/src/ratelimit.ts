// Fixed-window rate limits with counters in the cache, so they hold across instances.
import { isIPv6 } from 'node:net';
import type { Cache } from './cache.js';
import { TooMany } from './errors.js';

export class RateLimiter {
  constructor(
    private readonly cache: Cache,
    private readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
    private readonly message?: string,
  ) {}

  private counterKey(key: string) {
    return `rl:${this.name}:${key}`;
  }

  private tooMany(ms: number): TooMany {
    return this.message ? new TooMany(ms / 1000, this.message) : new TooMany(ms / 1000);
  }

  /** Counts one event and refuses it (429) once the window's count passes the limit. */
  async consume(key: string): Promise<void> {
    const { count, ttlMs } = await this.cache.incrWindow(this.counterKey(key), this.windowMs);
    if (count > this.limit) throw this.tooMany(ttlMs);
  }

  /**
   * Takes one unit for an attempt that is about to happen (a password check), atomically, before it
   * starts: however many run in parallel, at most `limit` get a unit per window. A refused attempt
   * gives its unit back at once; a successful one gives it back with release().
   */
  async acquire(key: string): Promise<void> {
    const { count, ttlMs } = await this.cache.incrWindow(this.counterKey(key), this.windowMs);
    if (count > this.limit) {
      await this.release(key).catch(() => {});
      throw this.tooMany(ttlMs);
    }
  }

  /** Gives back a unit taken by acquire() (the attempt did not count as a failure). */
  async release(key: string): Promise<void> {
    await this.cache.decrWindow(this.counterKey(key));
  }

  /** Takes a unit from each limiter, or none: when one refuses, the others give theirs back. */
  static async acquireAll(pairs: ReadonlyArray<readonly [RateLimiter, string]>): Promise<void> {
    const results = await Promise.allSettled(pairs.map(([limiter, key]) => limiter.acquire(key)));
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!refused) return;
    await Promise.all(
      pairs.map(([limiter, key], i) =>
        results[i]?.status === 'fulfilled' ? limiter.release(key).catch(() => {}) : undefined,
      ),
    );
    throw refused.reason;
  }

  async reset(key: string): Promise<void> {
    await this.cache.del(this.counterKey(key));
  }
}

/**
 * The rate-limit key of a client address: IPv4 as it is (also when written as ::ffff:a.b.c.d), IPv6
 * by its /64, the block one subscriber gets, so a client cannot take a fresh budget per address.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const address = ip.split('%')[0] ?? ip;
  if (!isIPv6(address)) return ip;
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  // a dotted IPv4 tail stands for two groups; it never reaches the first four
  const width = (list: string[]) => list.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? 0 : 8 - width(before) - width(after);
  const full = [...before, ...Array<string>(zeros).fill('0'), ...after];
  return `${full
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
