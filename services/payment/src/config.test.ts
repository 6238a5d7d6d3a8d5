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

  it('production refuses the sandbox unless it is named and allowed explicitly', () => {
    const refused = [
      'PAYMENT_PROVIDER: the sandbox confirms orders without money; with NODE_ENV=production set STRIPE_SECRET_KEY ' +
        'and STRIPE_WEBHOOK_SECRET, or PAYMENT_PROVIDER=sandbox together with ALLOW_SANDBOX_PAYMENTS=true',
    ];
    const production = { NODE_ENV: 'production' };
    // no STRIPE_SECRET_KEY: the sandbox by default, which `tok_ok` turns into confirmed orders
    expect(problems(production)).toEqual(refused);
    expect(problems({ ...production, PAYMENT_PROVIDER: 'sandbox' })).toEqual(refused);
    expect(problems({ ...production, ALLOW_SANDBOX_PAYMENTS: 'true' })).toEqual(refused);
    const staging = loadConfig({ ...base, ...production, PAYMENT_PROVIDER: 'sandbox', ALLOW_SANDBOX_PAYMENTS: 'true' });
    expect(providerName(staging)).toBe('sandbox');
    const live = loadConfig({
      ...base,
      ...production,
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
    });
    expect(providerName(live)).toBe('stripe');
    // outside production the sandbox stays the default
    expect(providerName(loadConfig({ ...base, NODE_ENV: 'development' }))).toBe('sandbox');
  });
});
