// The payment service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

export const PaymentConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3004 }),
  DB_SCHEMA: Type.String({ default: 'payments' }),
  /** unset: stripe when STRIPE_SECRET_KEY is set, else sandbox (not in production: see ALLOW_SANDBOX_PAYMENTS) */
  PAYMENT_PROVIDER: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('stripe')])),
  /**
   * The sandbox confirms orders without taking money (`tok_ok`). With NODE_ENV=production it runs only
   * with PAYMENT_PROVIDER=sandbox and this set to true (a staging shop); otherwise the service refuses to start.
   */
  ALLOW_SANDBOX_PAYMENTS: Type.Boolean({ default: false }),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** whsec_...: verifies POST /api/payments/webhooks/stripe; required with Stripe (webhooks settle async payments) */
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  /** another Stripe API base (stripe-mock, a test server); unset = api.stripe.com */
  STRIPE_API_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** one call to the provider; past it the call counts as failed and is retried with the same idempotency key */
  PAYMENT_PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 5000 }),
  /**
   * calls per charge or refund in one round; a charge left without an answer is `unknown` (never failed) and
   * recovery asks again, with the same key, after a growing delay
   */
  PAYMENT_CHARGE_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 4 }),
  /** backoff before retry n: base × 2^(n-1) */
  PAYMENT_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 250 }),
  /** how often charges and refunds left half-done by a crash are picked up again */
  PAYMENT_RECOVERY_INTERVAL_MS: Type.Integer({ minimum: 50, default: 5000 }),
  /** a charge the provider is still processing is re-read after this long without a webhook, and again each time */
  PAYMENT_PROCESSING_RECHECK_MS: Type.Integer({ minimum: 50, default: 600_000 }),
  /** sandbox: tok_slow answers after this long (default: twice the provider timeout) */
  SANDBOX_SLOW_MS: Type.Optional(Type.Integer({ minimum: 0 })),
  /** sandbox: tok_error fails this many calls per idempotency key before it succeeds */
  SANDBOX_TRANSIENT_FAILURES: Type.Integer({ minimum: 0, default: 2 }),
});

export type PaymentConfig = Static<typeof PaymentConfigSchema>;

export function loadConfig(env: Env = process.env): PaymentConfig {
  const config = loadEnv(PaymentConfigSchema, env);
  if (config.NODE_ENV === 'production' && providerName(config) === 'sandbox') {
    const explicit = config.PAYMENT_PROVIDER === 'sandbox' && config.ALLOW_SANDBOX_PAYMENTS;
    if (!explicit) {
      throw new ConfigError([
        'PAYMENT_PROVIDER: the sandbox confirms orders without money; with NODE_ENV=production set STRIPE_SECRET_KEY ' +
          'and STRIPE_WEBHOOK_SECRET, or PAYMENT_PROVIDER=sandbox together with ALLOW_SANDBOX_PAYMENTS=true',
      ]);
    }
  }
  if (providerName(config) === 'stripe') {
    // without the webhook, a payment Stripe finishes later is only seen by the slow re-reads
    const missing = (['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const).filter((name) => !config[name]);
    if (missing.length)
      throw new ConfigError(
        missing.map((name) => `${name}: is required when the payment provider is stripe (not set)`),
      );
  }
  return config;
}

export function providerName(config: PaymentConfig): 'sandbox' | 'stripe' {
  return config.PAYMENT_PROVIDER ?? (config.STRIPE_SECRET_KEY ? 'stripe' : 'sandbox');
}

/** A claim on a charge or refund outlives every retry of one worker; after it, recovery takes over. */
export function leaseMs(
  config: Pick<PaymentConfig, 'PAYMENT_CHARGE_ATTEMPTS' | 'PAYMENT_RETRY_BASE_MS' | 'PAYMENT_PROVIDER_TIMEOUT_MS'>,
): number {
  const attempts = config.PAYMENT_CHARGE_ATTEMPTS;
  const backoff = config.PAYMENT_RETRY_BASE_MS * (2 ** attempts - 1);
  return attempts * config.PAYMENT_PROVIDER_TIMEOUT_MS + backoff + 2000;
}
