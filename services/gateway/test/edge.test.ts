// What the gateway, the one public address, shows about itself: CORS with credentials only for named
// origins, /metrics only with its token, readiness and upstream health without error texts for strangers.
import { type Cache, RedisCache } from '@microbazaar/kit';
import { uniquePrefix } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { closedPortUrl, type Jwks, send, startJwks, startTestGateway, type TestGateway } from './helpers.js';

describe('CORS_ORIGINS=*', () => {
  it('is refused while credentials are allowed (the default)', () => {
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS: `\*` is refused while CORS_CREDENTIALS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://shop.example, *' })).toThrow(/CORS_ORIGINS/);
  });

  it('without credentials allows any origin and never says credentials', async () => {
    const gateway = await startTestGateway({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'false' });
    try {
      const res = await send(gateway.url, '/health/live', { headers: { origin: 'https://anywhere.example' } });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});

describe('/metrics on the gateway', () => {
  it('is not served without METRICS_TOKEN', async () => {
    const gateway = await startTestGateway({});
    try {
      expect((await send(gateway.url, '/metrics')).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });

  it('wants METRICS_TOKEN as a bearer token', async () => {
    const gateway = await startTestGateway({ METRICS_TOKEN: 'a-long-metrics-token' });
    try {
      expect((await send(gateway.url, '/metrics')).status).toBe(401);
      const wrong = await send(gateway.url, '/metrics', { headers: { authorization: 'Bearer a-long-metrics-tokeN' } });
      expect(wrong.status).toBe(401);
      const right = await send(gateway.url, '/metrics', { headers: { authorization: 'Bearer a-long-metrics-token' } });
      expect(right.status).toBe(200);
      expect(right.body.toString()).toContain('http_requests_total');
    } finally {
      await gateway.close();
    }
  });
});

describe('readiness and upstream health', () => {
  let jwks: Jwks;
  let redisUrl: string;
  beforeAll(async () => {
    jwks = await startJwks();
    redisUrl = (await closedPortUrl()).replace('http://', 'redis://');
  });
  afterAll(() => jwks?.close());

  it('/health/ready names a failed check without its error text', async () => {
    const cache: Cache = new RedisCache(redisUrl, uniquePrefix('edge-ready'));
    const gateway = await startTestGateway({ AUTH_JWKS_URL: jwks.url }, cache);
    try {
      const res = await send(gateway.url, '/health/ready');
      expect(res.status).toBe(503);
      expect(res.json().checks).toEqual({ cache: 'down' });
      expect(res.body.toString()).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|unavailable,/);
    } finally {
      await gateway.close();
    }
  });

  it('/health/services shows each upstream up or down to anyone, and its checks to admins only', async () => {
    const gateway: TestGateway = await startTestGateway({
      AUTH_URL: 'off',
      PRODUCT_URL: (await closedPortUrl()) as string,
      AUTH_JWKS_URL: jwks.url,
    });
    try {
      const anonymous = await send(gateway.url, '/health/services');
      expect(anonymous.status).toBe(503);
      expect(anonymous.json().services).toEqual([
        expect.objectContaining({ service: 'product', status: 'unavailable', checks: null }),
      ]);
      const customer = await send(gateway.url, '/health/services', {
        headers: { authorization: `Bearer ${await jwks.sign({ role: 'customer' })}` },
      });
      expect(customer.json().services[0].checks).toBeNull();
      const admin = await send(gateway.url, '/health/services', {
        headers: { authorization: `Bearer ${await jwks.sign({ role: 'admin' })}` },
      });
      expect(admin.json().services[0].checks).toEqual({ error: expect.any(String) });
    } finally {
      await gateway.close();
    }
  });
});
