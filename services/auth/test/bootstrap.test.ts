// What the auth service creates on its first start, run as `npm run start:auth` would run it.
import { isUuid } from '@microbazaar/kit';
import { createTestDatabase, type TestDatabase } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, loadConfig } from '../src/config.js';
import { startAuth } from '../src/main.js';
import { DEMO_SELLER } from '../src/usecases/first-start.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('auth-bootstrap');
});
afterAll(() => database?.drop());

const env = (schema: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: database.url,
  DB_SCHEMA: schema,
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  ...extra,
});

async function login(url: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

describe('first start', () => {
  it('without NODE_ENV or DEMO_DATA: no demo admin, no demo seller', async () => {
    const auth = await startAuth(loadConfig(env('auth_plain')));
    try {
      expect(auth.bootstrapAccounts).toEqual([]);
      expect(auth.demoSellerId).toBeUndefined();
      expect(await login(auth.url, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)).toBe(401);
      expect(await login(auth.url, DEMO_SELLER.email, DEMO_SELLER.password)).toBe(401);
    } finally {
      await auth.stop();
    }
  });

  it('with ADMIN_EMAIL and ADMIN_PASSWORD: that admin, and nothing else', async () => {
    const admin = { email: 'ops@shop.example', password: 'tangerine-kettle-41-orbit' };
    const auth = await startAuth(
      loadConfig(env('auth_admin', { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password })),
    );
    try {
      expect(auth.bootstrapAccounts).toEqual([{ ...admin, role: 'admin' }]);
      expect(await login(auth.url, admin.email, admin.password)).toBe(200);
      expect(await login(auth.url, DEMO_SELLER.email, DEMO_SELLER.password)).toBe(401);
    } finally {
      await auth.stop();
    }
  });

  it('with DEMO_DATA=true (what npm start sets): the documented demo admin and seller', async () => {
    const auth = await startAuth(loadConfig(env('auth_demo', { DEMO_DATA: 'true' })));
    try {
      expect(auth.bootstrapAccounts.map((a) => a.role).sort()).toEqual(['admin', 'seller']);
      expect(isUuid(auth.demoSellerId ?? '')).toBe(true);
      expect(await login(auth.url, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)).toBe(200);
    } finally {
      await auth.stop();
    }
  });
});
