// Access-token verification against a real JWKS server on loopback, and the role/ownership guards.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from './app.js';
import {
  assertMayChange,
  assertOwnsPrivate,
  bearerToken,
  createGuards,
  createJwksVerifier,
  createTokenVerifier,
  type Principal,
  principalOf,
} from './auth.js';
import { Forbidden, NotFound, Unauthorized, Unavailable } from './errors.js';
import { createLogger } from './logger.js';
import { TOKEN_REVOCATIONS_PATH } from './revocations.js';
import { eventually } from './testing.js';

const OPTS = { issuer: 'microbazaar-auth', audience: 'microbazaar' };

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
interface SigningKey {
  kid: string;
  pair: KeyPair;
  jwk: JWK;
}

let keyA: SigningKey;
let keyB: SigningKey;
/** A different key that claims keyA's kid. */
let impostor: SigningKey;

async function signingKey(kid: string): Promise<SigningKey> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

beforeAll(async () => {
  [keyA, keyB, impostor] = await Promise.all([signingKey('key-a'), signingKey('key-b'), signingKey('key-a')]);
});

const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  key?: SigningKey;
  iss?: string;
  aud?: string;
  exp?: number;
  iat?: number;
}

/** A token as the auth service issues it; claims override or (with undefined) drop the defaults. */
function sign(claims: JWTPayload = {}, opts: TokenOptions = {}): Promise<string> {
  const key = opts.key ?? keyA;
  const payload: JWTPayload = {
    sub: 'user-1',
    role: 'customer',
    email: 'ann@example.com',
    iss: opts.iss ?? OPTS.issuer,
    aud: opts.aud ?? OPTS.audience,
    iat: opts.iat ?? now(),
    exp: opts.exp ?? now() + 300,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' }).sign(key.pair.privateKey);
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const decode = (part: string) =>
  JSON.parse(new TextDecoder().decode(base64url.decode(part))) as Record<string, unknown>;

interface JwksServer {
  url: string;
  keys: JWK[];
  mode: 'ok' | 'error' | 'garbage' | 'hang';
  fetches: number;
  /** what the server's revocation feed answers */
  revocations: Array<{ userId: string; version: number }>;
  close(): Promise<void>;
}

const servers: JwksServer[] = [];

/** The auth service's /.well-known/jwks.json, on a free loopback port. */
async function jwksServer(keys: JWK[]): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    keys,
    mode: 'ok',
    fetches: 0,
    revocations: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    if (req.url?.startsWith(TOKEN_REVOCATIONS_PATH)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ cursor: new Date().toISOString(), revocations: state.revocations }));
      return;
    }
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    state.fetches++;
    if (state.mode === 'hang') return;
    if (state.mode === 'error') {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.mode === 'garbage' ? '<html>maintenance</html>' : JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  servers.push(state);
  return state;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

afterEach(() => {
  vi.useRealTimers();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

async function expectInvalid(verify: Promise<unknown>, code = 'INVALID_TOKEN') {
  const err = await failure(verify);
  expect(err).toBeInstanceOf(Unauthorized);
  expect(err).toMatchObject({ statusCode: 401, code });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createJwksVerifier', () => {
  let server: JwksServer;
  let verifier: ReturnType<typeof createJwksVerifier>;

  beforeAll(async () => {
    server = await jwksServer([keyA.jwk]);
    verifier = createJwksVerifier(server.url, OPTS);
  });

  it('turns a valid token into a Principal', async () => {
    const exp = now() + 600;
    const token = await sign({ sub: 'user-42', role: 'seller', email: 'sam@example.com', ver: 3 }, { exp });
    expect(await verifier.verify(token)).toEqual({
      userId: 'user-42',
      role: 'seller',
      email: 'sam@example.com',
      exp,
      tokenVersion: 3,
    });
  });

  it('refuses a token older than the version the auth service publishes for its user, verified or cached', async () => {
    const own = await jwksServer([keyA.jwk]);
    const checker = createJwksVerifier(own.url, OPTS);
    const old = await sign({ sub: 'user-revoked', ver: 1 });
    const other = await sign({ sub: 'user-kept', ver: 0 });
    expect((await checker.verify(old)).tokenVersion).toBe(1);
    own.revocations = [{ userId: 'user-revoked', version: 2 }];
    // the cached principal is checked again once the verifier has refreshed its list (at most a second)
    await eventually(() => expectInvalid(checker.verify(old), 'TOKEN_REVOKED'), 5000, 50);
    await expectInvalid(createJwksVerifier(own.url, OPTS).verify(old), 'TOKEN_REVOKED');
    expect((await checker.verify(other)).userId).toBe('user-kept');
    expect((await checker.verify(await sign({ sub: 'user-revoked', ver: 2 }))).tokenVersion).toBe(2);
  });

  it('answers 503, not a pass, when the revocation feed cannot be read at all', async () => {
    const err = await failure(
      createJwksVerifier(server.url, { ...OPTS, revocationsUrl: 'http://127.0.0.1:9/feed' }).verify(await sign()),
    );
    expect(err).toBeInstanceOf(Unavailable);
    expect(err).toMatchObject({ statusCode: 503, code: 'AUTH_REVOCATIONS_UNAVAILABLE' });
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const [header, payload, signature] = (await sign({ role: 'customer' })).split('.');
    const forged = encode({ ...decode(payload!), role: 'admin' });
    await expectInvalid(verifier.verify(`${header}.${forged}.${signature}`));
  });

  it('rejects a token with a damaged signature', async () => {
    const [header, payload, signature] = (await sign()).split('.');
    const bytes = base64url.decode(signature!);
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    await expectInvalid(verifier.verify(`${header}.${payload}.${base64url.encode(bytes)}`));
    await expectInvalid(verifier.verify(`${header}.${payload}.`));
    await expectInvalid(verifier.verify(`${header}.${payload}`));
    await expectInvalid(verifier.verify('not-a-token'));
  });

  it('rejects unsecured `alg: none` tokens', async () => {
    const claims = { sub: 'user-1', role: 'admin', iss: OPTS.issuer, aud: OPTS.audience, iat: now(), exp: now() + 300 };
    await expectInvalid(verifier.verify(new UnsecuredJWT(claims).encode()));
    await expectInvalid(verifier.verify(`${encode({ alg: 'none', kid: keyA.kid, typ: 'JWT' })}.${encode(claims)}.`));
    await expectInvalid(verifier.verify(`${encode({ alg: 'NONE', kid: keyA.kid })}.${encode(claims)}.`));
  });

  it('rejects HS256 tokens, also when the HMAC secret is the public key (algorithm confusion)', async () => {
    const claims = { sub: 'user-1', role: 'admin', email: 'eve@example.com' };
    const secrets: Uint8Array[] = [
      new TextEncoder().encode('a-random-shared-secret-of-enough-length'),
      base64url.decode(keyA.jwk.x!),
      new TextEncoder().encode(JSON.stringify(keyA.jwk)),
      new TextEncoder().encode(await exportSPKI(keyA.pair.publicKey)),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: keyA.kid, typ: 'JWT' })
        .setIssuer(OPTS.issuer)
        .setAudience(OPTS.audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(secret);
      await expectInvalid(verifier.verify(token));
    }
  });

  it('rejects a token signed by another Ed25519 key that claims a published kid', async () => {
    await expectInvalid(verifier.verify(await sign({ role: 'admin' }, { key: impostor })));
  });

  it('rejects an expired token with TOKEN_EXPIRED', async () => {
    await expectInvalid(verifier.verify(await sign({}, { iat: now() - 600, exp: now() - 60 })), 'TOKEN_EXPIRED');
  });

  it('rejects the wrong issuer or audience', async () => {
    await expectInvalid(verifier.verify(await sign({}, { iss: 'someone-else' })));
    await expectInvalid(verifier.verify(await sign({}, { aud: 'another-platform' })));
    await expectInvalid(verifier.verify(await sign({ iss: undefined })));
    await expectInvalid(verifier.verify(await sign({ aud: undefined })));
  });

  it('rejects a missing or unknown role and a missing subject', async () => {
    await expectInvalid(verifier.verify(await sign({ role: undefined })));
    await expectInvalid(verifier.verify(await sign({ role: 'superuser' })));
    await expectInvalid(verifier.verify(await sign({ role: 'Admin' })));
    await expectInvalid(verifier.verify(await sign({ role: ['admin'] })));
    await expectInvalid(verifier.verify(await sign({ sub: undefined })));
    await expectInvalid(verifier.verify(await sign({ exp: undefined })));
  });
});

describe('JWKS key rotation and outages', () => {
  it('refetches the JWKS for an unknown kid, so a rotated key verifies', async () => {
    const server = await jwksServer([keyA.jwk]);
    const verifier = createJwksVerifier(server.url, OPTS);
    expect((await verifier.verify(await sign({ sub: 'before' }))).userId).toBe('before');
    expect(server.fetches).toBe(1);

    // the auth service rotates: the new key signs at once, the old one stays published for a while
    server.keys = [keyB.jwk, keyA.jwk];
    await sleep(1100);
    expect((await verifier.verify(await sign({ sub: 'after' }, { key: keyB }))).userId).toBe('after');
    expect((await verifier.verify(await sign({ sub: 'old' }, { key: keyA }))).userId).toBe('old');
    expect(server.fetches).toBe(2);

    // a kid the auth service never published is still a bad token, not an outage
    await expectInvalid(verifier.verify(await sign({}, { key: { ...impostor, kid: 'key-z' } })));
  });

  it('answers 503 when the JWKS server is down, not 401', async () => {
    const server = await jwksServer([keyA.jwk]);
    await server.close();
    const verifier = createJwksVerifier(server.url, OPTS);
    const err = await failure(verifier.verify(await sign()));
    expect(err).toBeInstanceOf(Unavailable);
    expect(err).toMatchObject({ statusCode: 503, code: 'AUTH_KEYS_UNAVAILABLE' });
  });

  it.each(['error', 'garbage'] as const)('answers 503 when the JWKS server answers with %s', async (mode) => {
    const server = await jwksServer([keyA.jwk]);
    server.mode = mode;
    const err = await failure(createJwksVerifier(server.url, OPTS).verify(await sign()));
    expect(err).toBeInstanceOf(Unavailable);
    expect(err).toMatchObject({ statusCode: 503 });
  });

  it('answers 503 when the JWKS server never answers', async () => {
    const server = await jwksServer([keyA.jwk]);
    server.mode = 'hang';
    const err = await failure(createJwksVerifier(server.url, OPTS).verify(await sign()));
    expect(err).toBeInstanceOf(Unavailable);
  });

  it('keeps verifying with the keys it has while the JWKS server is down', async () => {
    const server = await jwksServer([keyA.jwk]);
    const verifier = createJwksVerifier(server.url, OPTS);
    await verifier.verify(await sign({ sub: 'first' }));
    await server.close();
    expect((await verifier.verify(await sign({ sub: 'second' }))).userId).toBe('second');
    // a kid it cannot check now is an outage, not a bad token
    await sleep(1100);
    const err = await failure(verifier.verify(await sign({}, { key: keyB })));
    expect(err).toBeInstanceOf(Unavailable);
  });
});

describe('createTokenVerifier cache', () => {
  function countingKeys() {
    const local = createLocalJWKSet({ keys: [keyA.jwk] });
    const counter = { calls: 0 };
    const getKey: JWTVerifyGetKey = (header, token) => {
      counter.calls++;
      return local(header, token);
    };
    return { getKey, counter };
  }

  it('returns the cached principal for a token it verified before', async () => {
    const { getKey, counter } = countingKeys();
    const verifier = createTokenVerifier(getKey, OPTS);
    const token = await sign({ role: 'seller' });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(counter.calls).toBe(1);
  });

  it('does not keep serving a token once it has expired', async () => {
    const { getKey, counter } = countingKeys();
    const verifier = createTokenVerifier(getKey, OPTS);
    const token = await sign({}, { exp: now() + 60 });
    await verifier.verify(token);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    await expectInvalid(verifier.verify(token), 'TOKEN_EXPIRED');
    expect(counter.calls).toBe(2);
  });

  it('stays bounded: the oldest entry goes first', async () => {
    const { getKey, counter } = countingKeys();
    const verifier = createTokenVerifier(getKey, { ...OPTS, cacheSize: 2 });
    const tokens = await Promise.all(['a', 'b', 'c'].map((sub) => sign({ sub })));
    for (const token of tokens) await verifier.verify(token);
    expect(counter.calls).toBe(3);
    await verifier.verify(tokens[2]!);
    expect(counter.calls).toBe(3);
    await verifier.verify(tokens[0]!);
    expect(counter.calls).toBe(4);
  });

  it('does not cache a rejected token', async () => {
    const { getKey, counter } = countingKeys();
    const verifier = createTokenVerifier(getKey, OPTS);
    const token = await sign({ role: 'root' });
    await expectInvalid(verifier.verify(token));
    await expectInvalid(verifier.verify(token));
    expect(counter.calls).toBe(2);
  });
});

describe('createGuards on a real app', () => {
  const verifier = () => createTokenVerifier(createLocalJWKSet({ keys: [keyA.jwk] }), OPTS);

  async function guardedApp() {
    const app = await createApp({ name: 'auth-test', logger: createLogger('auth-test', 'silent'), openapi: false });
    const guard = createGuards(verifier());
    app.get('/me', { preHandler: guard.authenticated }, async (req) => principalOf(req));
    app.get('/admin', { preHandler: guard.role('admin') }, async () => ({ ok: true }));
    app.get('/catalog/manage', { preHandler: guard.role('seller', 'admin') }, async () => ({ ok: true }));
    app.get('/maybe', { preHandler: guard.optional }, async (req) => ({ principal: req.principal }));
    await app.ready();
    return app;
  }

  it('authenticates, checks roles and tells 401 from 403', async () => {
    const app = await guardedApp();
    try {
      const as = async (role: string) => ({ authorization: `Bearer ${await sign({ role, sub: `${role}-1` })}` });
      const get = async (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });

      const me = await get('/me', await as('seller'));
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ userId: 'seller-1', role: 'seller' });

      const anonymous = await get('/me');
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');

      const malformed = await get('/me', { authorization: 'Basic dXNlcjpwYXNz' });
      expect(malformed.statusCode).toBe(401);
      expect(malformed.json().error.code).toBe('INVALID_TOKEN');

      const expired = await get('/me', { authorization: `Bearer ${await sign({}, { exp: now() - 10 })}` });
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error.code).toBe('TOKEN_EXPIRED');

      expect((await get('/admin', await as('admin'))).statusCode).toBe(200);
      for (const role of ['customer', 'seller']) {
        const denied = await get('/admin', await as(role));
        expect(denied.statusCode).toBe(403);
        expect(denied.json().error.code).toBe('FORBIDDEN');
      }
      expect((await get('/admin')).statusCode).toBe(401);
      expect((await get('/catalog/manage', await as('seller'))).statusCode).toBe(200);
      expect((await get('/catalog/manage', await as('admin'))).statusCode).toBe(200);
      expect((await get('/catalog/manage', await as('customer'))).statusCode).toBe(403);

      expect((await get('/maybe')).json()).toEqual({ principal: null });
      expect((await get('/maybe', await as('customer'))).json().principal).toMatchObject({ userId: 'customer-1' });
      expect((await get('/maybe', { authorization: 'Bearer not.a.token' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('role() throws Forbidden for the wrong role', async () => {
    const guard = createGuards(verifier());
    const req = { headers: { authorization: `Bearer ${await sign({ role: 'customer' })}` } } as FastifyRequest;
    const err = await failure(guard.role('admin')(req, {} as never));
    expect(err).toBeInstanceOf(Forbidden);
    expect(err).toMatchObject({ statusCode: 403 });
    expect(req.principal).toMatchObject({ role: 'customer' });
  });
});

describe('bearerToken', () => {
  const req = (authorization?: string) =>
    ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

  it('reads the token of a Bearer header', () => {
    expect(bearerToken(req())).toBeUndefined();
    expect(bearerToken(req('Bearer aaa.bbb.ccc'))).toBe('aaa.bbb.ccc');
    expect(bearerToken(req('bearer aaa.bbb-_.ccc'))).toBe('aaa.bbb-_.ccc');
    expect(bearerToken(req('  Bearer aaa.bbb.ccc  '))).toBe('aaa.bbb.ccc');
  });

  it.each([
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer ',
    'Bearer  aaa.bbb.ccc',
    'Bearer aaa.bbb.ccc extra',
    'Bearer aaa,bbb',
    'Bearer aaa.bbb.ccc\nX-Injected: 1',
    'Bearer "aaa.bbb.ccc"',
    'Token aaa.bbb.ccc',
    'Bearertoken',
    'aaa.bbb.ccc',
    ' ',
  ])('rejects the malformed header %j with 401', (header) => {
    let thrown: unknown;
    try {
      bearerToken(req(header));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Unauthorized);
    expect(thrown).toMatchObject({ statusCode: 401, code: 'INVALID_TOKEN' });
  });
});

describe('ownership rules', () => {
  const principal = (userId: string, role: Principal['role']): Principal => ({
    userId,
    role,
    email: `${userId}@example.com`,
    exp: now() + 60,
  });

  it('assertOwnsPrivate: someone else’s private resource is not found; admins see all', () => {
    expect(() => assertOwnsPrivate(principal('ann', 'customer'), 'ann', 'Order')).not.toThrow();
    expect(() => assertOwnsPrivate(principal('bob', 'customer'), 'ann', 'Order')).toThrow(NotFound);
    expect(() => assertOwnsPrivate(principal('bob', 'seller'), 'ann', 'Order')).toThrow('Order not found');
    expect(() => assertOwnsPrivate(principal('root', 'admin'), 'ann', 'Order')).not.toThrow();
  });

  it('assertMayChange: someone else’s public resource is forbidden; admins may', () => {
    expect(() => assertMayChange(principal('sam', 'seller'), 'sam')).not.toThrow();
    expect(() => assertMayChange(principal('sue', 'seller'), 'sam')).toThrow(Forbidden);
    expect(() => assertMayChange(principal('ann', 'customer'), 'sam')).toThrow(Forbidden);
    expect(() => assertMayChange(principal('root', 'admin'), 'sam')).not.toThrow();
  });

  it('principalOf refuses an anonymous request', () => {
    expect(() => principalOf({ principal: null } as FastifyRequest)).toThrow(Unauthorized);
  });
});
