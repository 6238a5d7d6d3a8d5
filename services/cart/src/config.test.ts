import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('cart config', () => {
  it('keeps the guest cart cookie Secure in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', CART_COOKIE_SECURE: 'false' })).toThrow(
      /CART_COOKIE_SECURE: cannot be false when NODE_ENV=production/,
    );
    expect(loadConfig({ NODE_ENV: 'production', CART_COOKIE_SECURE: 'true' }).CART_COOKIE_SECURE).toBe(true);
  });
});
