// The gateway's configuration: the only place that reads process.env.
import { CommonEnv, ConfigError, type Env, list, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';
import type { UpstreamName } from './domain/routes.js';

// `off` switches an upstream's routes off (a service this deployment does not run)
const URL_OR_OFF = '^(https?://.+|off)$';
const Url = (description: string, fallback?: string) =>
  fallback === undefined
    ? Type.Optional(Type.String({ pattern: URL_OR_OFF, description }))
    : Type.String({ pattern: URL_OR_OFF, default: fallback, description });

export const GatewayConfigSchema = Type.Object({
  ...CommonEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  // One URL per upstream (`<NAME>_URL`); `off` (or unset, where there is no default) switches its routes off.
  AUTH_URL: Url('auth service', 'http://127.0.0.1:3000'),
  PRODUCT_URL: Url('product service', 'http://127.0.0.1:3001'),
  CART_URL: Url('cart service', 'http://127.0.0.1:3002'),
  ORDER_URL: Url('order service', 'http://127.0.0.1:3003'),
  PAYMENT_URL: Url('payment service', 'http://127.0.0.1:3004'),
  NOTIFICATION_URL: Url('notification service', 'http://127.0.0.1:3005'),
  ASSISTANT_URL: Url('assistant service', 'http://127.0.0.1:3006'),
  /** No response headers from an upstream within this → 504. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Requests per client IP per 60 s window; 0 switches the limit off. */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, default: 6000 }),
  /** Comma-separated allowed browser origins; `*` (any) only with CORS_CREDENTIALS=false. */
  CORS_ORIGINS: Type.String({ default: 'http://localhost:8080,http://localhost:5173' }),
  /** Browsers may send cookies (the guest cart) and read answers with them: only for the listed origins. */
  CORS_CREDENTIALS: Type.Boolean({ default: true }),
  /** Bearer token that /metrics wants on the gateway (the public edge); unset: /metrics is not served there. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Largest request body the gateway passes on, multipart uploads aside. */
  GATEWAY_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /**
   * Largest multipart/form-data body on routes that take uploads: the product form with its images
   * (default 10 images of 10 MiB, the product service's own limits, plus the form fields).
   */
  GATEWAY_UPLOAD_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 101 * 1024 * 1024 }),
  /**
   * No answer to such an upload within this → 504: the service makes renditions of every image and
   * stores them (S3 or ImageKit with their own deadlines), which outlasts UPSTREAM_TIMEOUT_MS.
   */
  GATEWAY_UPLOAD_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 120_000 }),
  /**
   * The built web app (apps/web/dist: index.html, assets/, server/entry-server.js), served at `/`.
   * Unset or `off`: no pages, only the API. `npm start` builds it and sets this.
   */
  WEB_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** The shop's public URL for canonical and Open Graph links; the request's own host when unset. */
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Stripe's publishable key: the checkout then takes cards through Stripe's own card element. */
  STRIPE_PUBLISHABLE_KEY: Type.Optional(Type.String({ pattern: '^pk_(test|live)_[A-Za-z0-9]+$' })),
});

export type GatewayConfig = Static<typeof GatewayConfigSchema>;

/** The upstream's `<NAME>_URL`, or undefined when its routes are off (a name without a variable does not compile). */
export function upstreamUrl(config: GatewayConfig, name: UpstreamName): string | undefined {
  const url = config[`${name.toUpperCase() as Uppercase<UpstreamName>}_URL`];
  return url === 'off' ? undefined : url;
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const config = loadEnv(GatewayConfigSchema, env);
  if (config.CORS_CREDENTIALS && list(config.CORS_ORIGINS).includes('*')) {
    // any site could then make a shopper's browser call the API with the shopper's cookies and read the answer
    throw new ConfigError([
      'CORS_ORIGINS: `*` is refused while CORS_CREDENTIALS is true; list the shop origins, or set CORS_CREDENTIALS=false',
    ]);
  }
  return config;
}
