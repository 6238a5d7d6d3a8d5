import { ConfigError } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { loadConfig, upstreamUrl } from './config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      AUTH_URL: 'http://127.0.0.1:3000',
      UPSTREAM_TIMEOUT_MS: 10_000,
      RATE_LIMIT_PER_MINUTE: 6000,
      CORS_ORIGINS: 'http://localhost:8080,http://localhost:5173',
      GATEWAY_BODY_LIMIT_BYTES: 1024 * 1024,
      GATEWAY_UPLOAD_LIMIT_BYTES: 101 * 1024 * 1024,
      GATEWAY_UPLOAD_TIMEOUT_MS: 120_000,
      AUTH_JWKS_URL: 'http://127.0.0.1:3000/.well-known/jwks.json',
    });
    expect(config.PRODUCT_URL).toBe('http://127.0.0.1:3001');
    expect(config.ASSISTANT_URL).toBe('http://127.0.0.1:3006');
  });

  it('reads and converts the variables', () => {
    const config = loadConfig({
      PORT: '9000',
      RATE_LIMIT_PER_MINUTE: '0',
      PRODUCT_URL: 'http://10.0.0.5:3001',
      CART_URL: 'off',
      ASSISTANT_URL: 'off',
    });
    expect(config.PORT).toBe(9000);
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(0);
    expect(upstreamUrl(config, 'product')).toBe('http://10.0.0.5:3001');
    expect(upstreamUrl(config, 'auth')).toBe('http://127.0.0.1:3000');
    expect(upstreamUrl(config, 'cart')).toBeUndefined();
    expect(upstreamUrl(config, 'assistant')).toBeUndefined();
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({ AUTH_URL: 'localhost:3000', RATE_LIMIT_PER_MINUTE: '-1', UPSTREAM_TIMEOUT_MS: 'soon' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['AUTH_URL', 'RATE_LIMIT_PER_MINUTE', 'UPSTREAM_TIMEOUT_MS']) expect(message).toContain(name);
  });
});
