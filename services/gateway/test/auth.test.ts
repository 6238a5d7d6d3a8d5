import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closedPortUrl,
  type Jwks,
  json,
  send,
  signWith,
  startJwks,
  startServer,
  startTestGateway,
  type TestGateway,
  type TestServer,
} from './helpers.js';

let jwks: Jwks;
let upstream: TestServer;
let gateway: TestGateway;

beforeAll(async () => {
  jwks = await startJwks();
  upstream = await startServer((req, res) => json(res, 200, { path: req.url }));
  // the product upstream is configured so the `writes` policy of /api/products is live
  gateway = await startTestGateway({ AUTH_URL: upstream.url, PRODUCT_URL: upstream.url, AUTH_JWKS_URL: jwks.url });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await jwks?.close();
});

const get = (path: string, token?: string, method = 'GET') =>
  send(gateway.url, path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

async function expectRejectedAtTheEdge(path: string, token?: string, method = 'GET') {
  const before = upstream.seen.length;
  const res = await get(path, token, method);
  expect(res.status).toBe(401);
  expect(res.json().error).toMatchObject({ requestId: res.headers['x-request-id'] });
  expect(res.json().error.code).toMatch(/^(UNAUTHORIZED|INVALID_TOKEN|TOKEN_EXPIRED)$/);
  expect(upstream.seen.length).toBe(before);
  return res;
}

describe('edge token check', () => {
  it('turns away a protected route without a token', async () => {
    const res = await expectRejectedAtTheEdge('/api/auth/me');
    expect(res.json().error.code).toBe('UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('turns away a tampered token', async () => {
    const token = await jwks.sign({ role: 'customer' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const res = await expectRejectedAtTheEdge('/api/auth/users', `${header}.${forged}.${signature}`);
    expect(res.json().error.code).toBe('INVALID_TOKEN');
  });

  it('turns away a token signed by another key, even under a known kid', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const knownKid = (
      JSON.parse(Buffer.from((await jwks.sign()).split('.')[0]!, 'base64url').toString()) as {
        kid: string;
      }
    ).kid;
    await expectRejectedAtTheEdge('/api/auth/me', await signWith(other.privateKey, knownKid, {}, '5m'));
    await expectRejectedAtTheEdge('/api/auth/me', await signWith(other.privateKey, randomUUID(), {}, '5m'));
  });

  it('turns away an expired token and a malformed header', async () => {
    const expired = await jwks.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const res = await expectRejectedAtTheEdge('/api/auth/me', expired);
    expect(res.json().error.code).toBe('TOKEN_EXPIRED');
    const before = upstream.seen.length;
    const basic = await send(gateway.url, '/api/auth/me', { headers: { authorization: 'Basic YWRhOnB3' } });
    expect(basic.status).toBe(401);
    expect(upstream.seen.length).toBe(before);
  });

  it('passes a valid token through with the Authorization header unchanged', async () => {
    for (const role of ['customer', 'seller', 'admin']) {
      const token = await jwks.sign({ role });
      const res = await get('/api/auth/me', token);
      expect(res.status).toBe(200);
      expect(upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${token}`);
    }
  });

  it('protects /api/auth/users and everything below it', async () => {
    await expectRejectedAtTheEdge('/api/auth/users');
    await expectRejectedAtTheEdge('/api/auth/users?limit=5');
    await expectRejectedAtTheEdge(`/api/auth/users/${randomUUID()}`, undefined, 'PATCH');
    const token = await jwks.sign({ role: 'admin' });
    expect((await get('/api/auth/users?limit=5', token)).status).toBe(200);
  });

  it('decides on the decoded path, as the upstream router does', async () => {
    await expectRejectedAtTheEdge('/api/auth/%6De');
    await expectRejectedAtTheEdge('/api/auth/user%73/1');
  });

  it('leaves public routes public, logout included', async () => {
    for (const [method, path] of [
      ['POST', '/api/auth/login'],
      ['POST', '/api/auth/register'],
      ['POST', '/api/auth/refresh'],
      ['POST', '/api/auth/logout'],
      ['GET', '/.well-known/jwks.json'],
      ['GET', '/api/auth/meta'],
    ] as const) {
      const res = await get(path, undefined, method);
      expect(res.status, `${method} ${path}`).toBe(200);
    }
  });

  it('applies the writes policy: reads public, writes need a token', async () => {
    expect((await get('/api/products?limit=2')).status).toBe(200);
    expect((await get('/api/categories')).status).toBe(200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      await expectRejectedAtTheEdge('/api/products/abc', undefined, method);
    }
    const seller = await jwks.sign({ role: 'seller' });
    expect((await get('/api/products', seller, 'POST')).status).toBe(200);
  });

  it('answers 503 when the token keys cannot be fetched, and never hangs', async () => {
    const blind = await startTestGateway({ AUTH_URL: upstream.url, AUTH_JWKS_URL: `${await closedPortUrl()}/jwks` });
    try {
      const res = await send(blind.url, '/api/auth/me', {
        headers: { authorization: `Bearer ${await jwks.sign()}` },
      });
      expect(res.status).toBe(503);
      expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
    } finally {
      await blind.close();
    }
  });
});
