// The same cache behaviour from MemoryCache and RedisCache (real Redis on 127.0.0.1).
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Cache, MemoryCache, RedisCache } from './cache.js';
import { Unavailable } from './errors.js';
import { eventually, TEST_REDIS_URL, uniquePrefix } from './testing.js';

const filePrefix = uniquePrefix('kit-cache');
const open: Cache[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    const keys = await admin.keys(`${filePrefix}*`);
    if (keys.length) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
});

interface Backend {
  name: 'memory' | 'redis';
  /** A cache under its own key prefix, used right away (no waiting for a connection). */
  open(prefix: string): Cache;
}

const backends: Backend[] = [
  {
    name: 'memory',
    open(prefix) {
      const cache = new MemoryCache(prefix);
      open.push(cache);
      return cache;
    },
  },
  {
    name: 'redis',
    open(prefix) {
      const cache = new RedisCache(TEST_REDIS_URL, prefix);
      open.push(cache);
      return cache;
    },
  },
];

let counter = 0;
const prefix = (label: string) => `${filePrefix}${label}${++counter}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)('Cache on $name', (backend) => {
  it('gets, sets, overwrites and deletes', async () => {
    const cache = backend.open(prefix('basic'));
    expect(await cache.get('cart:1')).toBeNull();
    await cache.set('cart:1', '{"items":[]}');
    expect(await cache.get('cart:1')).toBe('{"items":[]}');
    await cache.set('cart:1', '{"items":[1]}');
    expect(await cache.get('cart:1')).toBe('{"items":[1]}');
    await cache.set('empty', '');
    expect(await cache.get('empty')).toBe('');
    await cache.del('cart:1');
    expect(await cache.get('cart:1')).toBeNull();
    await expect(cache.del('never-set')).resolves.toBeUndefined();
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('expires values after their ttl; a later set without ttl keeps the value', async () => {
    const cache = backend.open(prefix('ttl'));
    // long enough to read back on a loaded machine; its expiry is waited for, not slept on
    await cache.set('short', 'v', 1000);
    await cache.set('long', 'v', 60_000);
    await cache.set('forever', 'v');
    await cache.set('renewed', 'v', 150);
    await cache.set('renewed', 'v2');
    expect(await cache.get('short')).toBe('v');
    await eventually(async () => expect(await cache.get('short')).toBeNull(), 10_000);
    expect(await cache.get('long')).toBe('v');
    expect(await cache.get('forever')).toBe('v');
    expect(await cache.get('renewed')).toBe('v2');
  });

  it('incrWindow counts within the window, reports the time left and restarts after it', async () => {
    const cache = backend.open(prefix('window'));
    // wide enough that the second increment lands inside it on a loaded machine
    const WINDOW = 2000;
    const first = await cache.incrWindow('login:ann', WINDOW);
    expect(first.count).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(WINDOW / 2);
    expect(first.ttlMs).toBeLessThanOrEqual(WINDOW);
    await sleep(100);
    const second = await cache.incrWindow('login:ann', WINDOW);
    expect(second.count).toBe(2);
    // the window is fixed: it runs from the first increment, later ones do not extend it
    expect(second.ttlMs).toBeLessThanOrEqual(first.ttlMs - 80);
    expect(second.ttlMs).toBeGreaterThan(0);
    expect((await cache.incrWindow('login:bob', WINDOW)).count).toBe(1);

    // the window ended when the counter is gone (reading does not extend it)
    await eventually(async () => expect(await cache.get('login:ann')).toBeNull(), 10_000);
    const restarted = await cache.incrWindow('login:ann', WINDOW);
    expect(restarted.count).toBe(1);
    expect(restarted.ttlMs).toBeGreaterThan(WINDOW / 2);
  });

  it('incrWindow is atomic under concurrent increments', async () => {
    const cache = backend.open(prefix('atomic'));
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.incrWindow('ip:1', 10_000)));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await cache.get('ip:1')).toBe('50');
  });

  it('incrWindow gives a counter written without ttl a window instead of keeping it forever', async () => {
    const cache = backend.open(prefix('nottl'));
    await cache.set('counter', '5');
    const { count, ttlMs } = await cache.incrWindow('counter', 200);
    expect(count).toBe(6);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(200);
    await eventually(async () => expect(await cache.get('counter')).toBeNull(), 10_000);
  });

  it('incrWindow rejects on a value that is not a counter instead of reporting a count', async () => {
    const cache = backend.open(prefix('notcounter'));
    await cache.set('cart', '{"items":[]}');
    await expect(cache.incrWindow('cart', 1000)).rejects.toThrow();
    expect(await cache.get('cart')).toBe('{"items":[]}');
  });

  it('decrWindow takes one back from a live counter, never below zero, never creating one', async () => {
    const cache = backend.open(prefix('decr'));
    await cache.decrWindow('absent');
    expect(await cache.get('absent')).toBeNull();
    await cache.incrWindow('n', 10_000);
    await cache.incrWindow('n', 10_000);
    await cache.decrWindow('n');
    expect(await cache.get('n')).toBe('1');
    await cache.decrWindow('n');
    await cache.decrWindow('n');
    expect(await cache.get('n')).toBe('0');
    // the window keeps its end: the next increment counts on from zero within it
    const next = await cache.incrWindow('n', 10_000);
    expect(next.count).toBe(1);
    expect(next.ttlMs).toBeLessThanOrEqual(10_000);
  });

  it('take reads and deletes at once: of concurrent takers exactly one gets the value', async () => {
    const cache = backend.open(prefix('take'));
    await cache.set('ticket', 'principal', 10_000);
    const got = await Promise.all(Array.from({ length: 10 }, () => cache.take('ticket')));
    expect(got.filter((v) => v === 'principal')).toHaveLength(1);
    expect(got.filter((v) => v === null)).toHaveLength(9);
    expect(await cache.get('ticket')).toBeNull();
    expect(await cache.take('never-set')).toBeNull();
  });

  it('isolates key prefixes', async () => {
    const shared = prefix('iso');
    const a = backend.open(`${shared}a:`);
    const b = backend.open(`${shared}b:`);
    await a.set('k', 'from a');
    await b.set('k', 'from b');
    await a.incrWindow('n', 10_000);
    expect(await a.get('k')).toBe('from a');
    expect(await b.get('k')).toBe('from b');
    expect((await b.incrWindow('n', 10_000)).count).toBe(1);
    await a.del('k');
    expect(await a.get('k')).toBeNull();
    expect(await b.get('k')).toBe('from b');
  });
});

describe('RedisCache', () => {
  it('stores keys under its prefix in Redis itself', async () => {
    const p = prefix('raw');
    const cache = new RedisCache(TEST_REDIS_URL, p);
    open.push(cache);
    await cache.set('k', 'v', 10_000);
    const raw = new Redis(TEST_REDIS_URL);
    try {
      expect(await raw.get(`${p}k`)).toBe('v');
      expect(await raw.pttl(`${p}k`)).toBeGreaterThan(9000);
      expect(await raw.get('k')).toBeNull();
    } finally {
      raw.disconnect();
    }
  });

  it('answers the first command right after construction', async () => {
    const cache = new RedisCache(TEST_REDIS_URL, prefix('first'));
    open.push(cache);
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('rejects quickly with Unavailable (503 CACHE_UNAVAILABLE) when Redis is unreachable, never hangs', async () => {
    const cache = new RedisCache('redis://127.0.0.1:1', prefix('down'));
    open.push(cache);
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['get', () => cache.get('k')],
      ['set', () => cache.set('k', 'v', 1000)],
      ['del', () => cache.del('k')],
      ['incrWindow', () => cache.incrWindow('k', 1000)],
      ['decrWindow', () => cache.decrWindow('k')],
      ['take', () => cache.take('k')],
      ['ping', () => cache.ping()],
    ];
    // twice: on the first connection attempt and again while it keeps reconnecting
    for (const round of [1, 2]) {
      for (const [what, attempt] of attempts) {
        const err = await attempt().catch((e: unknown) => e);
        expect(err, `${what} #${round}`).toBeInstanceOf(Unavailable);
        expect(err, `${what} #${round}`).toMatchObject({ statusCode: 503, code: 'CACHE_UNAVAILABLE' });
      }
      await sleep(300);
    }
  });
});

describe('MemoryCache', () => {
  it('withPrefix shares one store but isolates keys', async () => {
    const root = new MemoryCache();
    open.push(root);
    const cart = root.withPrefix('cart:');
    const auth = root.withPrefix('auth:');
    open.push(cart, auth);
    await cart.set('k', 'cart value');
    await auth.set('k', 'auth value');
    expect(await cart.get('k')).toBe('cart value');
    expect(await auth.get('k')).toBe('auth value');
    expect(await root.get('cart:k')).toBe('cart value');
    expect(await root.get('auth:k')).toBe('auth value');
    await cart.del('k');
    expect(await root.get('cart:k')).toBeNull();
    expect(await auth.get('k')).toBe('auth value');
    expect(cart.kind).toBe('memory');
  });

  it('follows its clock for expiry and windows', async () => {
    let now = 1_000_000;
    const cache = new MemoryCache('', () => now);
    open.push(cache);
    await cache.set('k', 'v', 1000);
    expect((await cache.incrWindow('w', 1000)).ttlMs).toBe(1000);
    now += 999;
    expect(await cache.get('k')).toBe('v');
    expect(await cache.incrWindow('w', 1000)).toEqual({ count: 2, ttlMs: 1 });
    now += 1;
    expect(await cache.get('k')).toBeNull();
    expect(await cache.incrWindow('w', 1000)).toEqual({ count: 1, ttlMs: 1000 });
  });
});
