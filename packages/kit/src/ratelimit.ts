// Fixed-window rate limits with counters in the cache, so they hold across instances.
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

  private blockKey(key: string) {
    return `rl:${this.name}:block:${key}`;
  }

  private tooMany(ms: number): TooMany {
    return this.message ? new TooMany(ms / 1000, this.message) : new TooMany(ms / 1000);
  }

  /** Counts one event and refuses it (429) once the window's count passes the limit. */
  async consume(key: string): Promise<void> {
    const { count, ttlMs } = await this.cache.incrWindow(this.counterKey(key), this.windowMs);
    if (count > this.limit) throw this.tooMany(ttlMs);
  }

  /** Counts an event that already happened (a failed login); at the limit, check() refuses until the window ends. */
  async record(key: string): Promise<void> {
    const { count, ttlMs } = await this.cache.incrWindow(this.counterKey(key), this.windowMs);
    if (count >= this.limit) await this.cache.set(this.blockKey(key), String(Date.now() + ttlMs), ttlMs);
  }

  /** Refuses (429 with retry-after) while the key is blocked by record(). */
  async check(key: string): Promise<void> {
    const until = await this.cache.get(this.blockKey(key));
    if (until !== null) throw this.tooMany(Math.max(1000, Number(until) - Date.now()));
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.cache.del(this.counterKey(key)), this.cache.del(this.blockKey(key))]);
  }
}
