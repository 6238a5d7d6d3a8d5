import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const SECRET = 'a-cart-id-secret-of-32-characters!';

describe('cart config', () => {
  it('keeps the guest cart cookie Secure in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', CART_ID_SECRET: SECRET, CART_COOKIE_SECURE: 'false' })).toThrow(
      /CART_COOKIE_SECURE: cannot be false when NODE_ENV=production/,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', CART_ID_SECRET: SECRET, CART_COOKIE_SECURE: 'true' }).CART_COOKIE_SECURE,
    ).toBe(true);
  });

  it('wants its own CART_ID_SECRET in production (the development one is published)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CART_ID_SECRET: is required/);
    expect(() => loadConfig({ CART_ID_SECRET: 'too short' })).toThrow(/CART_ID_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', CART_ID_SECRET: SECRET }).CART_ID_SECRET).toBe(SECRET);
  });
});
