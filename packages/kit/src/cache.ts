// Key-value cache with TTLs and counters: Redis when REDIS_URL is set, else process memory.
import { Redis } from 'ioredis';
import { Unavailable } from './errors.js';

export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Reads and deletes a value in one step: of concurrent takers, one gets it (single-use credentials). */
  take(key: string): Promise<string | null>;
  /** Increments a counter that expires ttlMs after its first increment; returns the count and ms left. */
  incrWindow(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  /** Takes one back from a live incrWindow counter (never below zero, never creates one, keeps its expiry). */
  decrWindow(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function unavailable(err: unknown): never {
  throw new Unavailable('The cache is unavailable, try again shortly', 'CACHE_UNAVAILABLE', err);
}

// one round trip, atomic, and works before Redis 7 (no PEXPIRE NX); a counter found without expiry gets the window
const INCR_WINDOW = `
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}`;

const TAKE = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value`;

const DECR_WINDOW = `
local count = tonumber(redis.call('GET', KEYS[1]))
if count and count > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  readonly client: Redis;
  /** Settles with the first connection attempt: commands wait for it instead of failing while it is in flight. */
  private readonly firstAttempt: Promise<void>;

  constructor(url: string, keyPrefix = '') {
    this.client = new Redis(url, {
      keyPrefix,
      // fail fast instead of queueing commands forever while Redis is down
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: false,
    });
    this.client.on('error', () => {
      // reconnects by itself; failures surface per command as 503
    });
    const events = ['ready', 'error', 'end'] as const;
    this.firstAttempt = new Promise((resolve) => {
      const settle = () => {
        for (const event of events) this.client.off(event, settle);
        resolve();
      };
      for (const event of events) this.client.once(event, settle);
    });
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.firstAttempt;
      return await fn();
    } catch (err) {
      return unavailable(err);
    }
  }

  get(key: string) {
    return this.run(() => this.client.get(key));
  }

  async set(key: string, value: string, ttlMs?: number) {
    await this.run(() => (ttlMs ? this.client.set(key, value, 'PX', ttlMs) : this.client.set(key, value)));
  }

  async del(key: string) {
    await this.run(() => this.client.del(key));
  }

  take(key: string) {
    // GET and DEL in one script (GETDEL needs Redis 6.2)
    return this.run(async () => (await this.client.eval(TAKE, 1, key)) as string | null);
  }

  async incrWindow(key: string, ttlMs: number) {
    return this.run(async () => {
      const [count, left] = (await this.client.eval(INCR_WINDOW, 1, key, ttlMs)) as [number, number];
      return { count, ttlMs: left > 0 ? left : ttlMs };
    });
  }

  async decrWindow(key: string) {
    await this.run(() => this.client.eval(DECR_WINDOW, 1, key));
  }

  async ping() {
    await this.run(() => this.client.ping());
  }

  async close() {
    this.client.disconnect();
  }
}

/** In-process cache with the same semantics; for the embedded platform and unit tests. */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly keyPrefix = '',
    private readonly now: () => number = Date.now,
    shared?: MemoryCache,
  ) {
    if (shared) this.entries = shared.entries;
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** A view of the same store under another key prefix (one store per embedded platform). */
  withPrefix(prefix: string): MemoryCache {
    return new MemoryCache(prefix, this.now, this);
  }

  private live(key: string) {
    const entry = this.entries.get(this.keyPrefix + key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(this.keyPrefix + key);
      return undefined;
    }
    return entry;
  }

  private sweep() {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number) {
    this.entries.set(this.keyPrefix + key, { value, expiresAt: ttlMs ? this.now() + ttlMs : Number.POSITIVE_INFINITY });
  }

  async del(key: string) {
    this.entries.delete(this.keyPrefix + key);
  }

  async take(key: string) {
    const value = this.live(key)?.value ?? null;
    this.entries.delete(this.keyPrefix + key);
    return value;
  }

  async incrWindow(key: string, ttlMs: number) {
    const entry = this.live(key);
    if (!entry) {
      this.entries.set(this.keyPrefix + key, { value: '1', expiresAt: this.now() + ttlMs });
      return { count: 1, ttlMs };
    }
    if (!/^-?\d+$/.test(entry.value)) throw new Error(`cache value at ${key} is not a counter`);
    entry.value = String(Number(entry.value) + 1);
    // as in Redis: a value written without ttl gets the window instead of counting forever
    if (entry.expiresAt === Number.POSITIVE_INFINITY) entry.expiresAt = this.now() + ttlMs;
    return { count: Number(entry.value), ttlMs: entry.expiresAt - this.now() };
  }

  async decrWindow(key: string) {
    const entry = this.live(key);
    if (!entry || !/^\d+$/.test(entry.value) || entry.value === '0') return;
    entry.value = String(Number(entry.value) - 1);
  }

  async ping() {}

  async close() {
    clearInterval(this.sweeper);
  }
}

export function openCache(config: { REDIS_URL?: string | undefined }, keyPrefix: string, shared?: MemoryCache): Cache {
  if (config.REDIS_URL) return new RedisCache(config.REDIS_URL, keyPrefix);
  return shared ? shared.withPrefix(keyPrefix) : new MemoryCache(keyPrefix);
}
