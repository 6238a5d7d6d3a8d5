import { ConfigError } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { loadConfig, providerName } from './config.js';

const base = { AUTH_JWKS_URL: 'http://127.0.0.1:3000/.well-known/jwks.json' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('payment configuration', () => {
  it('sandbox needs no Stripe settings', () => {
    expect(providerName(loadConfig(base))).toBe('sandbox');
  });

  it('Stripe without a webhook secret is refused: a payment Stripe finishes later would never be settled', () => {
    expect(problems({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_x' })).toEqual([
      'STRIPE_WEBHOOK_SECRET: is required when the payment provider is stripe (not set)',
    ]);
    // stripe because a key is set
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_x' })).toEqual([
      'STRIPE_WEBHOOK_SECRET: is required when the payment provider is stripe (not set)',
    ]);
    expect(problems({ PAYMENT_PROVIDER: 'stripe' })).toEqual([
      'STRIPE_SECRET_KEY: is required when the payment provider is stripe (not set)',
      'STRIPE_WEBHOOK_SECRET: is required when the payment provider is stripe (not set)',
    ]);
  });

  it('Stripe with its key and webhook secret is accepted', () => {
    const config = loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' });
    expect(providerName(config)).toBe('stripe');
    expect(config.PAYMENT_PROCESSING_RECHECK_MS).toBe(600_000);
  });
});
