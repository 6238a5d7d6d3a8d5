import { type Cache, MemoryCache, RedisCache } from '@microbazaar/kit';
import { eventually, TEST_REDIS_URL, uniquePrefix } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPortUrl, json, startServer, startTestGateway, type TestGateway, type TestServer } from './helpers.js';

let upstream: TestServer;

beforeAll(async () => {
  upstream = await startServer((req, res) => json(res, 200, { path: req.url }));
});
afterAll(() => upstream?.close());

const fromIp = (gateway: TestGateway, ip: string, url = '/api/auth/login') =>
  gateway.app.inject({ method: 'GET', url, remoteAddress: ip });

async function expectLimitedAfter(gateway: TestGateway, ip: string, limit: number) {
  for (let i = 1; i <= limit; i++) expect((await fromIp(gateway, ip)).statusCode, `request ${i}`).toBe(200);
  const before = upstream.seen.length;
  const res = await fromIp(gateway, ip);
  expect(res.statusCode).toBe(429);
  expect(res.json().error).toMatchObject({ code: 'RATE_LIMITED', requestId: res.headers['x-request-id'] });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(upstream.seen.length).toBe(before);
}

describe('rate limit in memory', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => gateway.close());

  it('refuses the 6th request of a client IP in the window with 429 and retry-after', async () => {
    await expectLimitedAfter(gateway, '198.51.100.1', 5);
  });

  it('counts each client IP on its own', async () => {
    await expectLimitedAfter(gateway, '198.51.100.2', 5);
    expect((await fromIp(gateway, '198.51.100.3')).statusCode).toBe(200);
  });

  it('does not limit health or docs', async () => {
    const ip = '198.51.100.4';
    await expectLimitedAfter(gateway, ip, 5);
    for (let i = 0; i < 10; i++) {
      for (const url of ['/health/live', '/health/ready', '/docs']) {
        expect((await fromIp(gateway, ip, url)).statusCode, url).toBe(200);
      }
    }
  });
});

describe('rate limit in Redis', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    const prefix = uniquePrefix('gateway-rl');
    const env = { AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: TEST_REDIS_URL };
    const caches = [new RedisCache(TEST_REDIS_URL, prefix), new RedisCache(TEST_REDIS_URL, prefix)] as const;
    // commands fail fast (and the limit fails open) until the connection is up
    await eventually(() => Promise.all(caches.map((c) => c.ping())));
    a = await startTestGateway(env, caches[0]);
    b = await startTestGateway(env, caches[1]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('refuses the 6th request with 429 and retry-after', async () => {
    await expectLimitedAfter(a, '192.0.2.1', 5);
  });

  it('shares the counters between gateway instances', async () => {
    const ip = '192.0.2.2';
    for (let i = 0; i < 3; i++) expect((await fromIp(a, ip)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await fromIp(b, ip)).statusCode).toBe(200);
    expect((await fromIp(a, ip)).statusCode).toBe(429);
    expect((await fromIp(b, ip)).statusCode).toBe(429);
  });
});

describe('rate limit switched off or unavailable', () => {
  it('with RATE_LIMIT_PER_MINUTE=0 never refuses and never touches the cache', async () => {
    const cache = new MemoryCache();
    const counted = vi.spyOn(cache, 'incrWindow');
    const gateway = await startTestGateway({ AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '0' }, cache);
    try {
      for (let i = 0; i < 30; i++) expect((await fromIp(gateway, '203.0.113.9')).statusCode).toBe(200);
      expect(counted).not.toHaveBeenCalled();
    } finally {
      await gateway.close();
    }
  });

  it('lets traffic through when the cache is down (fail open)', async () => {
    const redisUrl = (await closedPortUrl()).replace('http://', 'redis://');
    const cache: Cache = new RedisCache(redisUrl, uniquePrefix('gateway-down'));
    const gateway = await startTestGateway({ AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '1' }, cache);
    try {
      for (let i = 0; i < 5; i++) expect((await fromIp(gateway, '203.0.113.10')).statusCode).toBe(200);
      expect((await gateway.app.inject('/health/ready')).statusCode).toBe(503);
    } finally {
      await gateway.close();
    }
  });
});
