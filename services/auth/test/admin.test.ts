import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, email, PASSWORD, startAuthHarness } from './harness.js';

let h: AuthHarness;
let adminToken: string;
let adminId: string;

beforeAll(async () => {
  h = await startAuthHarness('admin', { LOGIN_FAILURES_PER_IP: '15' });
  const admin = { email: 'root-admin@example.com', password: 'admin password 1' };
  await h.accounts.ensureBootstrapUsers({ admin });
  const res = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: admin });
  adminToken = res.json().token;
  adminId = res.json().user.id;
});
afterAll(() => h?.close());

const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function newUser() {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email: email(), password: PASSWORD },
  });
  return res.json() as { user: { id: string; email: string }; token: string; refreshToken: string };
}

describe('admin routes', () => {
  it('require an admin: none → 401, customer → 403', async () => {
    const customer = await newUser();
    expect((await h.app.inject('/api/auth/users')).statusCode).toBe(401);
    const res = await h.app.inject({ url: '/api/auth/users', headers: as(customer.token) });
    expect(res.statusCode).toBe(403);
    const patch = await h.app.inject({
      method: 'PATCH',
      url: `/api/auth/users/${customer.user.id}`,
      headers: as(customer.token),
      payload: { role: 'admin' },
    });
    expect(patch.statusCode).toBe(403);
  });

  it('pages through every user exactly once with an opaque cursor', async () => {
    for (let i = 0; i < 5; i++) await newUser();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/auth/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await h.app.inject({
        url,
        headers: as(adminToken),
      });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Array<{ id: string }>; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((u) => u.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    const [{ count }] = (await h.db.query<{ count: number }>('SELECT count(*)::int AS count FROM users')) as [
      { count: number },
    ];
    expect(seen.length).toBe(count);
    expect(new Set(seen).size).toBe(count);
  });

  it('filters by role and rejects a bad cursor or limit with 400', async () => {
    const admins = (await h.app.inject({ url: '/api/auth/users?role=admin', headers: as(adminToken) })).json();
    expect(admins.items.every((u: { role: string }) => u.role === 'admin')).toBe(true);
    expect((await h.app.inject({ url: '/api/auth/users?cursor=garbage!', headers: as(adminToken) })).statusCode).toBe(
      400,
    );
    expect((await h.app.inject({ url: '/api/auth/users?limit=101', headers: as(adminToken) })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/auth/users?limit=0', headers: as(adminToken) })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/auth/users?q=%00', headers: as(adminToken) })).statusCode).toBe(400);
  });

  it('changes a role; the next token carries it', async () => {
    const user = await newUser();
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/api/auth/users/${user.user.id}`,
      headers: as(adminToken),
      payload: { role: 'seller' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().role).toBe('seller');
    const refreshed = await h.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: user.refreshToken },
    });
    const payload = JSON.parse(Buffer.from(refreshed.json().token.split('.')[1], 'base64url').toString());
    expect(payload.role).toBe('seller');
  });

  it('disabling a user ends refresh at once, login is refused and /me answers 401', async () => {
    const user = await newUser();
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/api/auth/users/${user.user.id}`,
      headers: as(adminToken),
      payload: { disabled: true },
    });
    expect(res.json().disabled).toBe(true);
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: user.refreshToken } }))
        .statusCode,
    ).toBe(401);
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.user.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(403);
    expect(login.json().error.code).toBe('ACCOUNT_DISABLED');
    expect((await h.app.inject({ url: '/api/auth/me', headers: as(user.token) })).statusCode).toBe(401);
    // and back
    await h.app.inject({
      method: 'PATCH',
      url: `/api/auth/users/${user.user.id}`,
      headers: as(adminToken),
      payload: { disabled: false },
    });
    expect(
      (
        await h.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email: user.user.email, password: PASSWORD },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('refuses bad changes: unknown role, empty body, unknown field, own account, unknown or malformed id', async () => {
    const user = await newUser();
    const patch = (id: string, payload: object) =>
      h.app.inject({ method: 'PATCH', url: `/api/auth/users/${id}`, headers: as(adminToken), payload });
    expect((await patch(user.user.id, { role: 'superuser' })).statusCode).toBe(400);
    expect((await patch(user.user.id, {})).statusCode).toBe(400);
    expect((await patch(user.user.id, { email: 'x@y.com' })).statusCode).toBe(400);
    expect((await patch(adminId, { role: 'customer' })).statusCode).toBe(409);
    expect((await patch('00000000-0000-4000-8000-000000000000', { role: 'seller' })).statusCode).toBe(404);
    expect((await patch('not-a-uuid', { role: 'seller' })).statusCode).toBe(400);
  });
});

describe('bootstrap accounts', () => {
  it('are created once', async () => {
    const again = await h.accounts.ensureBootstrapUsers({
      admin: { email: 'root-admin@example.com', password: 'admin password 1' },
    });
    expect(again).toEqual([]);
  });
});

describe('login rate limit per IP', () => {
  it('blocks an address after its failures across many emails', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 18; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: email('spray'), password: 'guess guess' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 15)).toEqual(Array(15).fill(401));
    expect(statuses.slice(15)).toEqual([429, 429, 429]);
  });
});
