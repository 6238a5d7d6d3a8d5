// The auth service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

export const DEFAULT_ADMIN_EMAIL = 'admin@microbazaar.local';
export const DEFAULT_ADMIN_PASSWORD = 'admin12345';

export const AuthConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DB_SCHEMA: Type.String({ default: 'auth' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 900 }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  PASSWORD_RESET_TTL_MINUTES: Type.Integer({ minimum: 5, maximum: 1440, default: 30 }),
  SIGNING_KEY_ROTATION_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  /** When set, private signing keys are encrypted at rest with a key derived from it. */
  JWT_KEY_ENCRYPTION_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** Where the storefront's "reset password" page lives; the reset link is built from it. */
  PUBLIC_URL: Type.String({ default: 'http://localhost:8080' }),
  ADMIN_EMAIL: Type.String({ default: DEFAULT_ADMIN_EMAIL }),
  ADMIN_PASSWORD: Type.String({ minLength: 8, maxLength: 128, default: DEFAULT_ADMIN_PASSWORD }),
  /** Creates a demo seller on first start (development only by default). */
  DEMO_DATA: Type.Boolean({ default: true }),
  LOGIN_FAILURES_PER_EMAIL: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 100 }),
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  REGISTRATIONS_PER_IP_PER_HOUR: Type.Integer({ minimum: 1, default: 1000 }),
  PASSWORD_RESETS_PER_EMAIL_PER_HOUR: Type.Integer({ minimum: 1, default: 5 }),
  PASSWORD_HASH_MEMORY_KIB: Type.Integer({ minimum: 1024, default: 19_456 }),
  PASSWORD_HASH_TIME_COST: Type.Integer({ minimum: 1, default: 2 }),
});

export type AuthConfig = Static<typeof AuthConfigSchema>;

export function loadConfig(env: Env = process.env): AuthConfig {
  const config = loadEnv(AuthConfigSchema, env);
  if (env.DEMO_DATA === undefined && config.NODE_ENV === 'production') config.DEMO_DATA = false;
  return config;
}
