import { describe, expect, it } from 'vitest';
import { CatalogCache } from './catalog-cache.js';

function setup(ttlMs = 1000, maxEntries = 10) {
  let now = 0;
  const cache = new CatalogCache<string>({ ttlMs, maxEntries, now: () => now });
  let computed = 0;
  const compute = (value: string) => async () => {
    computed++;
    return value;
  };
  return {
    cache,
    compute,
    computed: () => computed,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('CatalogCache', () => {
  it('computes once, serves from memory until the catalog version changes', async () => {
    const { cache, compute, computed } = setup();
    expect(await cache.get('q', compute('a'))).toBe('a');
    expect(await cache.get('q', compute('b'))).toBe('a');
    expect(computed()).toBe(1);
    cache.invalidate();
    expect(await cache.get('q', compute('c'))).toBe('c');
    expect(computed()).toBe(2);
  });

  it('shares one computation between concurrent callers', async () => {
    const { cache, compute, computed } = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.get('q', compute('a'))));
    expect(new Set(results)).toEqual(new Set(['a']));
    expect(computed()).toBe(1);
  });

  it('after the TTL serves the old value once and refreshes it in the background', async () => {
    const { cache, compute, computed, advance } = setup(1000);
    await cache.get('q', compute('old'));
    advance(1500);
    expect(await cache.get('q', compute('new'))).toBe('old');
    await tick();
    expect(await cache.get('q', compute('newer'))).toBe('new');
    expect(computed()).toBe(2);
  });

  it('does not keep a result computed under a version that changed meanwhile', async () => {
    const { cache } = setup();
    let release!: (v: string) => void;
    const slow = cache.get('q', () => new Promise<string>((r) => (release = r)));
    cache.invalidate();
    release('stale');
    expect(await slow).toBe('stale');
    expect(await cache.get('q', async () => 'fresh')).toBe('fresh');
  });

  it('evicts the least recently used entry beyond its size, and computes every time with ttl 0', async () => {
    const { cache, compute, computed } = setup(1000, 2);
    await cache.get('a', compute('a'));
    await cache.get('b', compute('b'));
    await cache.get('a', compute('a'));
    await cache.get('c', compute('c'));
    expect(cache.size).toBe(2);
    await cache.get('b', compute('b'));
    expect(computed()).toBe(4);

    const off = setup(0);
    await off.cache.get('q', off.compute('a'));
    await off.cache.get('q', off.compute('a'));
    expect(off.computed()).toBe(2);
  });

  it('forgets a failed computation', async () => {
    const { cache } = setup();
    await expect(cache.get('q', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('q', async () => 'ok')).toBe('ok');
  });
});
