// The order service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

export const OrderConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3003 }),
  DB_SCHEMA: Type.String({ default: 'orders' }),
  /** the product service: prices, names and sellers are re-read from it at checkout */
  PRODUCT_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  /** the cart service: an order without `items` takes the lines of the buyer's cart */
  CART_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3002' }),
  /** per call to the product or cart service; past it the checkout answers 503 */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  ORDER_MAX_LINES: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  ORDER_MAX_QUANTITY: Type.Integer({ minimum: 1, maximum: 100_000, default: 99 }),
  /** an order still pending this long after checkout is cancelled `expired` by the sweeper */
  /**
   * Pending longer than this → cancelled (expired). A minute under the product service's
   * RESERVATION_TTL_SECONDS (900): an order must expire before its stock reservation does, or a late
   * payment could confirm an order whose units were already released.
   */
  ORDER_PENDING_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, default: 840 }),
  ORDER_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, default: 10_000 }),
});

export type OrderConfig = Static<typeof OrderConfigSchema>;

export function loadConfig(env: Env = process.env): OrderConfig {
  return loadEnv(OrderConfigSchema, env);
}
