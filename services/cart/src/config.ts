// The cart service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

export const CartConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002 }),
  /** Redis key prefix of carts and the product read model */
  CART_KEY_PREFIX: Type.String({ default: 'cart:' }),
  /** a cart untouched this long is gone (guest and user carts alike) */
  CART_IDLE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 14 * 86_400 }),
  CART_MAX_LINES: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  /** most units of one product in a cart (above → 400) */
  CART_MAX_QUANTITY: Type.Integer({ minimum: 1, maximum: 100_000, default: 99 }),
  /** the guest cart cookie gets `Secure` (default: in production, where it cannot be turned off) */
  CART_COOKIE_SECURE: Type.Optional(Type.Boolean()),
  /** the product service: asked only for a product the read model has not heard of yet */
  PRODUCT_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
});

export type CartConfig = Static<typeof CartConfigSchema>;

export function loadConfig(env: Env = process.env): CartConfig {
  const config = loadEnv(CartConfigSchema, env);
  if (config.NODE_ENV === 'production' && config.CART_COOKIE_SECURE === false) {
    throw new ConfigError([
      'CART_COOKIE_SECURE: cannot be false when NODE_ENV=production (the cart id would travel in clear)',
    ]);
  }
  return config;
}
