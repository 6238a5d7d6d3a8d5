// The cart service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

/** Outside production only: a published value, so any id it accepts there could have been made by anyone. */
export const DEV_CART_ID_SECRET = 'microbazaar-development-cart-id-secret';

export const CartConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002 }),
  DB_SCHEMA: Type.String({ default: 'cart' }),
  /** Redis key prefix of the cached copies of carts and product views */
  CART_KEY_PREFIX: Type.String({ default: 'cart:' }),
  /** a guest cart untouched this long is gone (a user's cart stays: it is the customer's) */
  CART_IDLE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 14 * 86_400 }),
  /** how long a copy of a cart or a product view stays in the cache after it was written */
  CART_CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 86_400 }),
  /** how often idle guest carts are deleted from PostgreSQL */
  CART_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, default: 60_000 }),
  CART_MAX_LINES: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  /** most units of one product in a cart (above → 400) */
  CART_MAX_QUANTITY: Type.Integer({ minimum: 1, maximum: 100_000, default: 99 }),
  /**
   * Keys the MAC in guest cart ids, so the service accepts only ids it issued; the same on every instance.
   * Required in production; elsewhere a fixed development value.
   */
  CART_ID_SECRET: Type.String({ minLength: 32, default: DEV_CART_ID_SECRET }),
  /** the guest cart cookie gets `Secure` (default: in production, where it cannot be turned off) */
  CART_COOKIE_SECURE: Type.Optional(Type.Boolean()),
  /** the product service: asked only for a product the read model has not heard of yet */
  PRODUCT_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
});

export type CartConfig = Static<typeof CartConfigSchema>;

export function loadConfig(env: Env = process.env): CartConfig {
  const config = loadEnv(CartConfigSchema, env);
  if (config.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (config.CART_COOKIE_SECURE === false) {
      problems.push('CART_COOKIE_SECURE: cannot be false when NODE_ENV=production (the cart id would travel in clear)');
    }
    if (config.CART_ID_SECRET === DEV_CART_ID_SECRET) {
      problems.push(
        'CART_ID_SECRET: is required when NODE_ENV=production (32+ characters, the same on every instance)',
      );
    }
    if (problems.length) throw new ConfigError(problems);
  }
  return config;
}
