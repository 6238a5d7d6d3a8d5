// RateLimiter on the in-memory cache (the Redis cache shares its semantics: cache.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCache } from './cache.js';
import { TooMany } from './errors.js';
import { clientKey, RateLimiter } from './ratelimit.js';

const caches: MemoryCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});
function cache() {
  const c = new MemoryCache();
  caches.push(c);
  return c;
}

describe('RateLimiter.acquire', () => {
  it('lets exactly `limit` of many parallel attempts through; refused ones give their unit back', async () => {
    const limiter = new RateLimiter(cache(), 'login', 10, 60_000);
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => limiter.acquire('ann')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(190);
    expect(refused[0]?.reason).toBeInstanceOf(TooMany);
    // releasing one admitted attempt admits exactly one more
    await limiter.release('ann');
    await expect(limiter.acquire('ann')).resolves.toBeUndefined();
    await expect(limiter.acquire('ann')).rejects.toBeInstanceOf(TooMany);
  });

  it('acquireAll takes from every limiter or from none', async () => {
    const c = cache();
    const perEmail = new RateLimiter(c, 'email', 5, 60_000);
    const perIp = new RateLimiter(c, 'ip', 2, 60_000);
    await RateLimiter.acquireAll([
      [perEmail, 'ann'],
      [perIp, '10.0.0.1'],
    ]);
    await RateLimiter.acquireAll([
      [perEmail, 'ann'],
      [perIp, '10.0.0.1'],
    ]);
    await expect(
      RateLimiter.acquireAll([
        [perEmail, 'ann'],
        [perIp, '10.0.0.1'],
      ]),
    ).rejects.toBeInstanceOf(TooMany);
    // the refused attempt left the email's count at 2, so 3 more fit from other addresses
    for (let i = 0; i < 3; i++) await perEmail.acquire('ann');
    await expect(perEmail.acquire('ann')).rejects.toBeInstanceOf(TooMany);
  });
});

describe('clientKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:1::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s → %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it('gives every address of one /64 the same key and neighbouring /64s different ones', () => {
    expect(clientKey('2001:db8:aa:bb:1:2:3:4')).toBe(clientKey('2001:db8:aa:bb:ffff::9'));
    expect(clientKey('2001:db8:aa:bb::1')).not.toBe(clientKey('2001:db8:aa:bc::1'));
  });
});
