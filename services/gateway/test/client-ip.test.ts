// Which client address the gateway believes, what it tells the services, and how it keys its rate limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startServer, startTestGateway, type TestGateway, type TestServer } from './helpers.js';

let upstream: TestServer;
beforeAll(async () => {
  upstream = await startServer((req, res) => json(res, 200, { path: req.url }));
});
afterAll(() => upstream?.close());

const lastSeen = () => upstream.seen.at(-1)!;

async function forwardedFor(gateway: TestGateway, peer: string, headers: Record<string, string>) {
  const res = await gateway.app.inject({ method: 'GET', url: '/api/auth/who', remoteAddress: peer, headers });
  expect(res.statusCode).toBe(200);
  return lastSeen().headers['x-forwarded-for'];
}

describe('X-Forwarded-For to the services', () => {
  let direct: TestGateway;
  let behindOne: TestGateway;
  let behindRange: TestGateway;
  beforeAll(async () => {
    direct = await startTestGateway({ AUTH_URL: upstream.url });
    behindOne = await startTestGateway({ AUTH_URL: upstream.url, TRUST_PROXY: '1' });
    behindRange = await startTestGateway({ AUTH_URL: upstream.url, TRUST_PROXY: '10.0.0.0/8' });
  });
  afterAll(async () => {
    await Promise.all([direct, behindOne, behindRange].map((g) => g?.close()));
  });

  it('is the address the client connected from, whatever the client wrote (replaced, not appended)', async () => {
    const seen = await forwardedFor(direct, '203.0.113.7', {
      'x-forwarded-for': '6.6.6.6',
      forwarded: 'for=1.1.1.1',
      'x-real-ip': '2.2.2.2',
    });
    expect(seen).toBe('203.0.113.7');
    expect(lastSeen().headers.forwarded).toBeUndefined();
    expect(lastSeen().headers['x-real-ip']).toBeUndefined();
  });

  it('behind one trusted load balancer (TRUST_PROXY=1): the address the balancer saw, not what the client wrote', async () => {
    expect(await forwardedFor(behindOne, '10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' })).toBe(
      '198.51.100.9',
    );
  });

  it('behind trusted proxies by range: the first address outside it', async () => {
    expect(await forwardedFor(behindRange, '10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9, 10.0.0.3' })).toBe(
      '198.51.100.9',
    );
    // a peer outside the range is the client itself, whatever it claims
    expect(await forwardedFor(behindRange, '198.51.100.10', { 'x-forwarded-for': '10.0.0.9' })).toBe('198.51.100.10');
  });
});

describe('rate limit by client', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ AUTH_URL: upstream.url, RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => gateway?.close());

  const status = async (ip: string) =>
    (await gateway.app.inject({ method: 'GET', url: '/api/auth/who', remoteAddress: ip })).statusCode;

  it('keys IPv6 clients by their /64: a new address in the same network is the same client', async () => {
    for (let i = 1; i <= 3; i++) expect(await status(`2001:db8:1:2::${i}`)).toBe(200);
    expect(await status('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(429);
    expect(await status('2001:db8:1:3::1')).toBe(200);
  });

  it('cannot be dodged by writing another X-Forwarded-For', async () => {
    for (let i = 1; i <= 3; i++) {
      const res = await gateway.app.inject({
        method: 'GET',
        url: '/api/auth/who',
        remoteAddress: '203.0.113.50',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(res.statusCode).toBe(200);
    }
    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/auth/who',
      remoteAddress: '203.0.113.50',
      headers: { 'x-forwarded-for': '198.51.100.99' },
    });
    expect(res.statusCode).toBe(429);
  });
});
