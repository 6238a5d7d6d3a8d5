// Disabling, demoting or resetting a user ends their access tokens in every service, not only in auth:
// the real auth service on loopback, and the product service verifying its tokens through the JWKS.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, email, PASSWORD, startAuthHarness as startAuth } from '../../services/auth/test/harness.js';
import {
  type Harness as ProductHarness,
  productBody,
  startHarness as startProduct,
} from '../../services/product/test/harness.js';

/** The bound from issue 14: a revocation takes effect across services within this. */
const WITHIN_MS = 5000;

let auth: AuthHarness;
let authUrl: string;
let product: ProductHarness;
let adminToken: string;

beforeAll(async () => {
  auth = await startAuth('revocation');
  await auth.app.listen({ port: 0, host: '127.0.0.1' });
  authUrl = `http://127.0.0.1:${(auth.app.server.address() as AddressInfo).port}`;
  product = await startProduct('revocation', { AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json` });
  const admin = { email: email('admin'), password: PASSWORD };
  await auth.accounts.ensureBootstrapUsers({ admin });
  adminToken = (await login(admin.email)).token;
});
afterAll(async () => {
  await product?.close();
  await auth?.close();
});

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function login(
  address: string,
  password = PASSWORD,
): Promise<{ token: string; refreshToken: string; id: string }> {
  const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: address, password } });
  expect(res.statusCode).toBe(200);
  return { token: res.json().token, refreshToken: res.json().refreshToken, id: res.json().user.id };
}

async function newUser(role: 'customer' | 'seller'): Promise<{ address: string; id: string }> {
  const address = email(role);
  const res = await auth.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email: address, password: PASSWORD },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json().user.id as string;
  if (role !== 'customer') expect((await changeUser(id, { role })).status).toBe(200);
  return { address, id };
}

const changeUser = (id: string, change: Record<string, unknown>) =>
  call(authUrl, 'PATCH', `/api/auth/users/${id}`, adminToken, change);

/** Polls until `probe` answers 401 TOKEN_REVOKED for the token; how long it took. */
async function revokedWithin(token: string, probe = productProbe): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < WITHIN_MS * 3) {
    const res = await probe(token);
    if (res.status === 401) {
      expect(res.code).toBe('TOKEN_REVOKED');
      return Date.now() - started;
    }
    expect([200, 201, 403]).toContain(res.status);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the token is still accepted after ${WITHIN_MS * 3} ms`);
}

async function productProbe(token: string) {
  const res = await product.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: productBody(),
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, code: res.json().error?.code };
}

async function authProbe(token: string) {
  const res = await call(authUrl, 'GET', '/api/auth/me', token);
  return { status: res.status, code: res.body.error?.code };
}

/** A product write: 201 for a seller, 403 for a customer, 401 once the token is revoked. */
const productStatus = async (token: string) =>
  (
    await product.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: productBody(),
      headers: { authorization: `Bearer ${token}` },
    })
  ).statusCode;

describe('token revocation across services', () => {
  it('a demoted seller: the product service refuses the old token within 5 s, a refreshed one is a customer', async () => {
    const seller = await newUser('seller');
    const session = await login(seller.address);
    expect(await productStatus(session.token)).toBe(201);
    expect((await changeUser(seller.id, { role: 'customer' })).status).toBe(200);
    expect(await revokedWithin(session.token)).toBeLessThan(WITHIN_MS);
    expect(await revokedWithin(session.token, authProbe)).toBeLessThan(WITHIN_MS);
    const refreshed = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: session.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    expect(await productStatus(refreshed.json().token)).toBe(403);
  });

  it('a disabled customer: refused by the product service within 5 s, and by auth', async () => {
    const customer = await newUser('customer');
    const session = await login(customer.address);
    expect(await productStatus(session.token)).toBe(403);
    expect((await changeUser(customer.id, { disabled: true })).status).toBe(200);
    expect(await revokedWithin(session.token)).toBeLessThan(WITHIN_MS);
    expect((await call(authUrl, 'GET', '/api/auth/me', session.token)).body.error.code).toMatch(
      /TOKEN_REVOKED|ACCOUNT_DISABLED/,
    );
  });

  it('a password reset: tokens issued before it are refused, a login after it works', async () => {
    const seller = await newUser('seller');
    const before = await login(seller.address);
    expect(await productStatus(before.token)).toBe(201);
    const forgot = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/password/forgot',
      payload: { email: seller.address },
    });
    expect(forgot.statusCode).toBe(202);
    const link = await auth.resetLink(seller.address);
    const resetToken = new URL(link.resetUrl).searchParams.get('token');
    const newPassword = 'a brand new passphrase';
    const reset = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/password/reset',
      payload: { token: resetToken, password: newPassword },
    });
    expect(reset.statusCode).toBe(204);
    expect(await revokedWithin(before.token)).toBeLessThan(WITHIN_MS);
    const after = await login(seller.address, newPassword);
    expect(await productStatus(after.token)).toBe(201);
  });

  it('changing nothing that matters (disabled: false on an active user) revokes nothing', async () => {
    const seller = await newUser('seller');
    const session = await login(seller.address);
    expect((await changeUser(seller.id, { disabled: false, role: 'seller' })).status).toBe(200);
    // a revocation made after the change reaching the product service shows it has read past the change
    const marker = await newUser('customer');
    const markerSession = await login(marker.address);
    expect((await changeUser(marker.id, { disabled: true })).status).toBe(200);
    await revokedWithin(markerSession.token);
    expect(await productStatus(session.token)).toBe(201);
  });
});
