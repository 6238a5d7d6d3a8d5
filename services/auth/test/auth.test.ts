import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../src/adapters/keys.js';
import { loadConfig } from '../src/config.js';
import { type AuthHarness, email, PASSWORD, startAuthHarness } from './harness.js';

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness('auth');
});
afterAll(() => h?.close());

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, payload: body as object, headers });
const register = (body: unknown) => post('/api/auth/register', body);
const login = (body: unknown) => post('/api/auth/login', body);
const me = (token: string) => h.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('register (seed contract)', () => {
  it('creates a customer: 201 {user, token, refreshToken}, never the hash', async () => {
    const address = email();
    const res = await register({ email: address, password: PASSWORD, name: 'Ada' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['expiresIn', 'refreshToken', 'token', 'user']);
    expect(body.user).toMatchObject({ email: address, name: 'Ada', role: 'customer', disabled: false });
    expect(res.body).not.toMatch(/argon2|passwordHash|password_hash/);
    expect(res.body).not.toContain(PASSWORD);
    expect((await me(body.token)).json().id).toBe(body.user.id);
    expect(await h.outboxed('user.registered', address)).toBe(1);
  });

  it('answers 400 USER_EXISTS for a taken email, whatever its case and spaces', async () => {
    const address = email();
    expect((await register({ email: address, password: PASSWORD })).statusCode).toBe(201);
    for (const variant of [address, `  ${address.toUpperCase()}  `]) {
      const res = await register({ email: variant, password: PASSWORD });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'USER_EXISTS', message: 'User already exists' });
    }
  });

  it('normalises odd-case emails so login works with any case', async () => {
    const address = email('MiXeD');
    const res = await register({ email: `  ${address.toUpperCase()} `, password: PASSWORD });
    expect(res.json().user.email).toBe(address.toLowerCase());
    expect((await login({ email: address.toLowerCase(), password: PASSWORD })).statusCode).toBe(200);
  });

  it('rejects a role in the body (register only makes customers)', async () => {
    const res = await register({ email: email(), password: PASSWORD, role: 'admin' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toEqual({ path: 'body/role', message: 'unknown field' });
  });

  it.each([
    ['not-an-email'],
    ['a@b'],
    ['a@@b.com'],
    ['a b@c.com'],
    [''],
    [`${'x'.repeat(300)}@example.com`],
    ['\u0000@example.com'],
    // characters a mail header splits or groups addresses on: one account, one recipient
    ['ann,victim@example.com'],
    ['ann@example.com,victim@example.com'],
    ['ann;victim@example.com'],
    ['Ann <ann@example.com>'],
    ['ann<x>@example.com'],
    ['"ann"@example.com'],
  ])('rejects the email %j with 400', async (bad) => {
    const res = await register({ email: bad, password: PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers a NUL character in the name with 400, never a 500', async () => {
    const res = await register({ email: email(), password: PASSWORD, name: 'a\u0000b' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_INPUT', requestId: expect.any(String) });
  });

  it.each([
    ['empty', ''],
    ['short', 'seven77'],
    ['129 chars', 'p'.repeat(129)],
    ['10 000 chars', 'p'.repeat(10_000)],
  ])('rejects a %s password with 400 (never truncated)', async (_label, password) => {
    const res = await register({ email: email(), password });
    expect(res.statusCode).toBe(400);
  });

  it('accepts a 128-character password', async () => {
    expect((await register({ email: email(), password: 'p'.repeat(128) })).statusCode).toBe(201);
  });

  it('stores SQL-like strings verbatim', async () => {
    const address = `o'reilly-${Date.now()}@example.com`;
    const name = "Robert'); DROP TABLE users;--";
    const res = await register({ email: address, password: PASSWORD, name });
    expect(res.statusCode).toBe(201);
    expect(res.json().user.name).toBe(name);
    expect((await login({ email: address, password: PASSWORD })).json().user.name).toBe(name);
  });

  it('answers malformed JSON 400, a wrong content type 415, a 2 MB body 413', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_JSON');
    const form = await h.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: 'email=a@b.com',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(415);
    const huge = await register({ email: email(), password: PASSWORD, name: 'n'.repeat(2 * 1024 * 1024) });
    expect(huge.statusCode).toBe(413);
  });
});

describe('login (seed contract)', () => {
  it('answers 200 {token, refreshToken, user}', async () => {
    const address = email();
    await register({ email: address, password: PASSWORD });
    const res = await login({ email: address, password: PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user: { email: address },
      token: expect.any(String),
      refreshToken: expect.any(String),
    });
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const address = email();
    await register({ email: address, password: PASSWORD });
    const wrong = await login({ email: address, password: 'wrong password' });
    const unknown = await login({ email: email('nobody'), password: PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
  });

  it('blocks an email after 10 failures: 40 rapid wrong logins → 10 × 401 then 429 with retry-after', async () => {
    const address = email('target');
    await register({ email: address, password: PASSWORD });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 40; i++) {
      const res = await login({ email: address, password: `wrong-${i}-password` });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retryAfter = res.headers['retry-after'] as string;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(30).fill(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(900);
    // even the right password waits until the window ends
    expect((await login({ email: address, password: PASSWORD })).statusCode).toBe(429);
  });
});

describe('access tokens', () => {
  let token: string;
  let claims: { sub: string; role: string; email: string };
  let privateJwk: JWK;

  beforeAll(async () => {
    const address = email();
    const res = await register({ email: address, password: PASSWORD });
    token = res.json().token;
    claims = { sub: res.json().user.id, role: 'customer', email: address };
    const [key] = await h.db.query<{ privateJwk: string }>('SELECT private_jwk AS "privateJwk" FROM signing_keys');
    privateJwk = JSON.parse(key!.privateJwk);
  });

  const sign = async (key: Parameters<SignJWT['sign']>[0], kid: string, exp: string | number = '5m', alg = 'EdDSA') =>
    new SignJWT({ role: claims.role, email: claims.email })
      .setProtectedHeader({ alg, kid })
      .setSubject(claims.sub)
      .setIssuer('microbazaar-auth')
      .setAudience('microbazaar')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);

  it('is an EdDSA JWT whose kid is published in the JWKS', async () => {
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('EdDSA');
    const jwks = (await h.app.inject('/.well-known/jwks.json')).json();
    expect(jwks.keys.map((k: JWK) => k.kid)).toContain(header.kid);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('a token signed with our own key verifies (control for the cases below)', async () => {
    const key = await importJWK(privateJwk, 'EdDSA');
    expect((await me(await sign(key, privateJwk.kid!))).statusCode).toBe(200);
  });

  it('rejects an expired token', async () => {
    const key = await importJWK(privateJwk, 'EdDSA');
    const res = await me(await sign(key, privateJwk.kid!, Math.floor(Date.now() / 1000) - 10));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('TOKEN_EXPIRED');
  });

  it('rejects a tampered payload', async () => {
    const [head, payload, sig] = token.split('.');
    const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    forged.role = 'admin';
    const res = await me(`${head}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`);
    expect(res.statusCode).toBe(401);
  });

  it('rejects alg none', async () => {
    const unsecured = new UnsecuredJWT({ role: 'admin', email: claims.email })
      .setSubject(claims.sub)
      .setIssuer('microbazaar-auth')
      .setAudience('microbazaar')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    expect((await me(unsecured)).statusCode).toBe(401);
  });

  it('rejects HS256, including with the public key as the HMAC secret', async () => {
    const publicJwk = (await h.app.inject('/.well-known/jwks.json')).json().keys[0];
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    expect((await me(await sign(secret, privateJwk.kid!, '5m', 'HS256'))).statusCode).toBe(401);
    const raw = Buffer.from(publicJwk.x, 'base64url');
    expect((await me(await sign(raw, privateJwk.kid!, '5m', 'HS256'))).statusCode).toBe(401);
  });

  it('rejects a token signed with another key, even under our kid', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    expect((await me(await sign(other.privateKey, privateJwk.kid!))).statusCode).toBe(401);
    expect((await exportJWK(other.publicKey)).x).not.toBe(privateJwk.x);
  });

  it('rejects a missing or malformed Authorization header', async () => {
    expect((await h.app.inject('/api/auth/me')).statusCode).toBe(401);
    const res = await h.app.inject({ url: '/api/auth/me', headers: { authorization: 'Basic abc' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
  });
});

describe('refresh tokens', () => {
  it('rotate: a refresh gives a new pair, and reusing the spent one revokes the family', async () => {
    const res = await register({ email: email(), password: PASSWORD });
    const first = res.json().refreshToken;
    const rotated = await post('/api/auth/refresh', { refreshToken: first });
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json().refreshToken;
    expect(second).not.toBe(first);
    expect((await me(rotated.json().token)).statusCode).toBe(200);

    const reused = await post('/api/auth/refresh', { refreshToken: first });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    // the thief's copy and the owner's newer token are both dead now
    expect((await post('/api/auth/refresh', { refreshToken: second })).statusCode).toBe(401);
  });

  it('two concurrent uses of one token: one wins, the family is revoked', async () => {
    const res = await register({ email: email(), password: PASSWORD });
    const token = res.json().refreshToken;
    const [a, b] = await Promise.all([
      post('/api/auth/refresh', { refreshToken: token }),
      post('/api/auth/refresh', { refreshToken: token }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 401]);
    const winner = a.statusCode === 200 ? a : b;
    expect((await post('/api/auth/refresh', { refreshToken: winner.json().refreshToken })).statusCode).toBe(401);
  });

  it('another login keeps its own family', async () => {
    const address = email();
    await register({ email: address, password: PASSWORD });
    const phone = (await login({ email: address, password: PASSWORD })).json().refreshToken;
    const laptop = (await login({ email: address, password: PASSWORD })).json().refreshToken;
    await post('/api/auth/refresh', { refreshToken: phone });
    await post('/api/auth/refresh', { refreshToken: phone }); // reuse kills the phone family only
    expect((await post('/api/auth/refresh', { refreshToken: laptop })).statusCode).toBe(200);
  });

  it('logout ends the session; unknown tokens are ignored', async () => {
    const res = await register({ email: email(), password: PASSWORD });
    const token = res.json().refreshToken;
    expect((await post('/api/auth/logout', { refreshToken: token })).statusCode).toBe(204);
    expect((await post('/api/auth/refresh', { refreshToken: token })).statusCode).toBe(401);
    expect((await post('/api/auth/logout', { refreshToken: 'nonsense' })).statusCode).toBe(204);
  });

  it('unknown refresh token → 401', async () => {
    const res = await post('/api/auth/refresh', { refreshToken: 'x'.repeat(43) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('INVALID_REFRESH_TOKEN');
  });
});

describe('password reset', () => {
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  it('answers before any work on the account: an existing and an unknown address wait for the same', async () => {
    const address = email('known');
    await register({ email: address, password: PASSWORD });
    // the account's work (its reset token row and the mail's event) waits behind a lock on the reset tokens
    // until released: the answer must not wait for it
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = h.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE password_resets IN SHARE MODE');
      locked();
      await held;
    });
    await Promise.race([lockTaken, holder]);
    try {
      const timeout = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 10_000).unref());
      for (const who of [address, email('ghost')]) {
        const answered = await Promise.race([post('/api/auth/password/forgot', { email: who }), timeout]);
        expect(answered, who).not.toBe('waited');
        expect((answered as { statusCode: number }).statusCode).toBe(202);
      }
      expect(await h.outboxed('user.password_reset_requested', address)).toBe(0);
    } finally {
      release();
      await holder;
      await h.accounts.settle();
    }
    expect(await h.outboxed('user.password_reset_requested', address)).toBe(1);
  });

  it('answers 202 for unknown emails without sending anything', async () => {
    await h.accounts.settle();
    const before = await h.outboxed('user.password_reset_requested');
    const res = await post('/api/auth/password/forgot', { email: email('ghost') });
    expect(res.statusCode).toBe(202);
    await h.accounts.settle();
    expect(await h.outboxed('user.password_reset_requested')).toBe(before);
  });

  it('forgot → single-use link → new password; old password and every session end', async () => {
    const address = email();
    const session = (await register({ email: address, password: PASSWORD })).json();
    expect((await post('/api/auth/password/forgot', { email: address.toUpperCase() })).statusCode).toBe(202);
    const event = await h.resetLink(address);
    expect(event.resetUrl).toMatch(/^http:\/\/localhost:8080\/reset-password\?token=/);
    const token = tokenOf(event.resetUrl);

    const reset = await post('/api/auth/password/reset', { token, password: 'a brand new password' });
    expect(reset.statusCode).toBe(204);
    expect((await login({ email: address, password: PASSWORD })).statusCode).toBe(401);
    expect((await login({ email: address, password: 'a brand new password' })).statusCode).toBe(200);
    expect((await post('/api/auth/refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);

    const again = await post('/api/auth/password/reset', { token, password: 'yet another password' });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.code).toBe('INVALID_RESET_TOKEN');
  });

  it('an expired reset token is refused', async () => {
    const address = email();
    await register({ email: address, password: PASSWORD });
    await post('/api/auth/password/forgot', { email: address });
    const token = tokenOf((await h.resetLink(address)).resetUrl);
    await h.db.query("UPDATE password_resets SET expires_at = now() - interval '1 minute'");
    expect((await post('/api/auth/password/reset', { token, password: 'a brand new password' })).statusCode).toBe(400);
  });

  it('a reset with a too-short password is a 400 and does not spend the token', async () => {
    const address = email();
    await register({ email: address, password: PASSWORD });
    await post('/api/auth/password/forgot', { email: address });
    const token = tokenOf((await h.resetLink(address)).resetUrl);
    expect((await post('/api/auth/password/reset', { token, password: 'short' })).statusCode).toBe(400);
    expect((await post('/api/auth/password/reset', { token, password: 'long enough now' })).statusCode).toBe(204);
  });
});

describe('operations', () => {
  it('is ready with its database, cache and bus', async () => {
    const res = await h.app.inject('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toEqual({ db: 'ok', cache: 'ok', bus: 'ok' });
  });

  it('documents its routes in OpenAPI', async () => {
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/auth/register', '/api/auth/login', '/api/auth/users/{id}']),
    );
  });
});

describe('signing key rotation across instances', () => {
  it('a token signed with a key another instance just made verifies here at once', async () => {
    const address = email('rotation');
    const user = (await register({ email: address, password: PASSWORD })).json().user;
    // another instance of the service, on the same database, rotates now
    const config = loadConfig({ NODE_ENV: 'test' });
    const other = new KeyRing(h.db, {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      rotationDays: 0,
      encryptionSecret: config.JWT_KEY_ENCRYPTION_SECRET,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    await other.ensure();
    const fresh = await other.sign({ sub: user.id, role: 'customer', email: address });
    const res = await h.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${fresh}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().email).toBe(address);
    // and this instance's own tokens, signed with the key just retired, still verify
    const own = (
      await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: address, password: PASSWORD } })
    ).json().token;
    expect((await h.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${own}` } })).statusCode).toBe(
      200,
    );
  });
});
