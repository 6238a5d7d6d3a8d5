// The auth service's configuration: demo accounts are opt-in, production needs a real first admin and encrypted keys.
import { describe, expect, it } from 'vitest';
import { bootstrapAdmin, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, loadConfig } from './config.js';

const PRODUCTION = { NODE_ENV: 'production', JWT_KEY_ENCRYPTION_SECRET: 'a-long-enough-secret-for-keys' };

describe('auth config', () => {
  it('creates no account on its own: no demo data and no admin without NODE_ENV or ADMIN_PASSWORD', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const config = loadConfig({ NODE_ENV });
      expect(config.DEMO_DATA).toBe(false);
      expect(bootstrapAdmin(config)).toBeUndefined();
    }
  });

  it('with DEMO_DATA=true (npm start) the documented demo admin; a configured admin wins', () => {
    expect(bootstrapAdmin(loadConfig({ DEMO_DATA: 'true' }))).toEqual({
      email: DEFAULT_ADMIN_EMAIL,
      password: DEFAULT_ADMIN_PASSWORD,
    });
    expect(
      bootstrapAdmin(
        loadConfig({ DEMO_DATA: 'true', ADMIN_EMAIL: 'root@shop.example', ADMIN_PASSWORD: 'long enough pass' }),
      ),
    ).toEqual({ email: 'root@shop.example', password: 'long enough pass' });
  });

  it('production requires JWT_KEY_ENCRYPTION_SECRET and refuses demo data', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_KEY_ENCRYPTION_SECRET: is required/);
    expect(() => loadConfig({ ...PRODUCTION, DEMO_DATA: 'true' })).toThrow(/DEMO_DATA: cannot be true/);
    expect(loadConfig(PRODUCTION).DEMO_DATA).toBe(false);
  });

  it.each([
    ['admin12345', /at least 12 characters/],
    ['elevenchars', /at least 12 characters/],
    ['Password1234', /commonly used/],
    ['QWERTYUIOP123', /commonly used/],
    ['aaaaaaaaaaaaaaaa', /commonly used/],
    ['microbazaar2026', /commonly used/],
  ])('production refuses the first admin password %j', (password, why) => {
    expect(() => loadConfig({ ...PRODUCTION, ADMIN_PASSWORD: password })).toThrow(why);
  });

  it('production takes a long, uncommon first admin password from the environment', () => {
    const config = loadConfig({
      ...PRODUCTION,
      ADMIN_EMAIL: 'ops@shop.example',
      ADMIN_PASSWORD: 'tangerine-kettle-41-orbit',
    });
    expect(bootstrapAdmin(config)).toEqual({ email: 'ops@shop.example', password: 'tangerine-kettle-41-orbit' });
    // and none at all when it is not set (an admin may already exist)
    expect(bootstrapAdmin(loadConfig(PRODUCTION))).toBeUndefined();
  });

  it('never shows the refused password in the message', () => {
    expect(() => loadConfig({ ...PRODUCTION, ADMIN_PASSWORD: 'Password1234' })).not.toThrow(/Password1234/);
  });
});
