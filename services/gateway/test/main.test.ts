import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/main.js';
import { json, send, startServer, type TestServer, testConfig } from './helpers.js';

let upstream: TestServer;

beforeAll(async () => {
  upstream = await startServer((req, res) => json(res, 200, { path: req.url }));
});
afterAll(() => upstream?.close());

describe('startGateway', () => {
  it('listens, proxies, reports ready on its cache alone, and stops', async () => {
    const gateway = await startGateway(testConfig({ AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '100' }));
    try {
      expect(gateway.name).toBe('gateway');
      expect((await send(gateway.url, '/api/auth/login', { method: 'POST', body: '{}' })).json()).toEqual({
        path: '/api/auth/login',
      });
      const ready = await send(gateway.url, '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.json().checks).toEqual({ cache: 'ok' });
      expect((await send(gateway.url, '/health/live')).status).toBe(200);
    } finally {
      await gateway.stop();
    }
    await expect(send(gateway.url, '/health/live')).rejects.toThrow();
  });
});
