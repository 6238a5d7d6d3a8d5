import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send, startServer, startTestGateway, type TestGateway, type TestServer } from './helpers.js';

let upstream: TestServer;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startServer((_req, res) =>
    json(res, 200, { ok: true }, { 'access-control-allow-origin': '*', vary: 'Accept-Encoding' }),
  );
  gateway = await startTestGateway({
    AUTH_URL: upstream.url,
    CORS_ORIGINS: 'https://shop.example, http://localhost:5173',
    RATE_LIMIT_PER_MINUTE: '1',
  });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe('CORS', () => {
  it('answers a preflight itself, for any method the API uses, without reaching the upstream', async () => {
    const before = upstream.seen.length;
    const res = await send(gateway.url, '/api/auth/users/1', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods']).split(/,\s*/)).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    );
    expect(String(res.headers['access-control-allow-headers'])).toContain('authorization');
    expect(upstream.seen.length).toBe(before);
  });

  it('does not count preflights against the rate limit', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await gateway.app.inject({
        method: 'OPTIONS',
        url: '/api/auth/login',
        remoteAddress: '198.51.100.77',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
      });
      expect(res.statusCode).toBe(204);
    }
  });

  it('gives allowed origins the gateway policy on proxied responses, replacing the upstream one', async () => {
    const res = await send(gateway.url, '/api/auth/login', { headers: { origin: 'http://localhost:5173' } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-expose-headers']).split(/,\s*/)).toEqual(
      expect.arrayContaining(['x-request-id', 'retry-after']),
    );
    expect(String(res.headers.vary)).toMatch(/Origin/);
    expect(String(res.headers.vary)).toMatch(/Accept-Encoding/);
  });

  it('gives other origins no CORS grant', async () => {
    const res = await send(gateway.url, '/api/auth/login', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const get = await send(gateway.url, '/health/live', { headers: { origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
