// The client address a service acts on is the one the gateway resolved: failed logins of one client
// behind a load balancer do not block another, and a client cannot pick its own rate-limit key.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, email, PASSWORD, startAuthHarness as startAuth } from '../../services/auth/test/harness.js';
import { startTestGateway, type TestGateway } from '../../services/gateway/test/helpers.js';

const BALANCER = '10.0.0.2';
let auth: AuthHarness;
let gateway: TestGateway;

beforeAll(async () => {
  // auth believes only the gateway (which reaches it from 127.0.0.1); 5 failed logins per client address
  auth = await startAuth('client-ip', { TRUST_PROXY: '127.0.0.1', LOGIN_FAILURES_PER_IP: '5' });
  await auth.app.listen({ port: 0, host: '127.0.0.1' });
  const authUrl = `http://127.0.0.1:${(auth.app.server.address() as AddressInfo).port}`;
  // the gateway sits behind one load balancer that appends the address it saw
  gateway = await startTestGateway({ AUTH_URL: authUrl, TRUST_PROXY: '1' });
});
afterAll(async () => {
  await gateway?.close();
  await auth?.close();
});

/** A wrong login as the balancer passes it on: whatever the client wrote, then the client's address. */
async function failedLogin(client: string, claimed = '6.6.6.6') {
  const res = await gateway.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: BALANCER,
    headers: { 'x-forwarded-for': `${claimed}, ${client}` },
    payload: { email: email('ip'), password: 'not the password' },
  });
  return res.statusCode;
}

describe('client addresses through the gateway', () => {
  it("one client's failed logins block that client only, even when it rotates the address it claims", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push(await failedLogin('198.51.100.20', `6.6.6.${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(await failedLogin('198.51.100.21')).toBe(401);
  });

  it('IPv6 clients of one /64 share a budget; the next /64 has its own', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push(await failedLogin(`2001:db8:77:1::${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await failedLogin('2001:db8:77:2::1')).toBe(401);
  });

  it('a caller that reaches auth directly is its own address, whatever X-Forwarded-For it sends', async () => {
    const direct = (claimed: string) =>
      auth.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: '10.9.9.9',
        headers: { 'x-forwarded-for': claimed },
        payload: { email: email('direct'), password: PASSWORD },
      });
    for (let i = 0; i < 5; i++) expect((await direct(`198.51.100.${100 + i}`)).statusCode).toBe(401);
    expect((await direct('198.51.100.200')).statusCode).toBe(429);
    // the addresses it named were not charged
    expect(await failedLogin('198.51.100.100')).toBe(401);
  });
});
