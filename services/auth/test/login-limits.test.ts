// Login limits hold under parallel guessing: each attempt takes its unit before argon2 runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../src/adapters/passwords.js';
import { loadConfig } from '../src/config.js';
import { type AuthHarness, email, PASSWORD, startAuthHarness } from './harness.js';

/** The real argon2id hasher, counting how many password checks actually ran. */
function countingHasher(): PasswordHasher & { verifications: number } {
  const config = loadConfig({ NODE_ENV: 'test' });
  const real = createPasswordHasher({
    memoryKiB: config.PASSWORD_HASH_MEMORY_KIB,
    timeCost: config.PASSWORD_HASH_TIME_COST,
  });
  const counting = {
    verifications: 0,
    hash: real.hash,
    async verify(hash: string, password: string) {
      counting.verifications += 1;
      return real.verify(hash, password);
    },
    async verifyNobody(password: string) {
      counting.verifications += 1;
      return real.verifyNobody(password);
    },
  };
  return counting;
}

let h: AuthHarness;
let hasher: ReturnType<typeof countingHasher>;

beforeAll(async () => {
  hasher = countingHasher();
  // the per-IP limit is what a spray from one address meets; inject() calls all come from 127.0.0.1
  h = await startAuthHarness('login-limits', { LOGIN_FAILURES_PER_IP: '20' }, {}, { hasher });
});
afterAll(() => h?.close());

const login = (body: { email: string; password: string }, ip = '127.0.0.1') =>
  h.app.inject({ method: 'POST', url: '/api/auth/login', payload: body, remoteAddress: ip });

async function registered(): Promise<string> {
  const address = email('limit');
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email: address, password: PASSWORD },
    remoteAddress: '10.9.9.9',
  });
  expect(res.statusCode).toBe(201);
  return address;
}

describe('failed-login limits under parallel guessing', () => {
  it('200 concurrent wrong logins for one email: at most 10 password checks, the rest 429', async () => {
    const address = await registered();
    const before = hasher.verifications;
    // each guess from its own address, so only the per-email limit (10) applies
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        login({ email: address, password: `wrong guess ${i}` }, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(hasher.verifications - before).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 401).length).toBe(hasher.verifications - before);
    expect(statuses.filter((s) => s === 429).length).toBe(200 - (hasher.verifications - before));
    expect(Number(results.find((r) => r.statusCode === 429)?.headers['retry-after'])).toBeGreaterThan(0);
    // the owner's right password now waits for the window too
    expect((await login({ email: address, password: PASSWORD }, '10.2.0.1')).statusCode).toBe(429);
  });

  it('200 concurrent wrong logins across many emails from one address: at most LOGIN_FAILURES_PER_IP checks', async () => {
    const before = hasher.verifications;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => login({ email: email(`spray${i}`), password: 'guess guess' }, '10.3.0.1')),
    );
    const checks = hasher.verifications - before;
    expect(checks).toBeLessThanOrEqual(20);
    expect(results.filter((r) => r.statusCode === 429).length).toBe(200 - checks);
  });

  it('a right password gives its attempt back; refused attempts take none', async () => {
    const address = await registered();
    const ip = '10.4.0.1';
    for (let i = 0; i < 9; i++)
      expect((await login({ email: address, password: `nope ${i}!` }, ip)).statusCode).toBe(401);
    // nine failures; successes in between do not use up the tenth
    for (let i = 0; i < 3; i++) expect((await login({ email: address, password: PASSWORD }, ip)).statusCode).toBe(200);
    expect((await login({ email: address, password: 'tenth wrong' }, ip)).statusCode).toBe(401);
    expect((await login({ email: address, password: 'eleventh wrong' }, ip)).statusCode).toBe(429);
    expect((await login({ email: address, password: PASSWORD }, ip)).statusCode).toBe(429);
  });
});
