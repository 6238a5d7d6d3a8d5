// The auth service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';
import { weakAdminPassword } from './domain/adminPassword.js';

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
  /** The first admin, created on first start when ADMIN_PASSWORD is set (demo data: the documented demo admin). */
  ADMIN_EMAIL: Type.String({ default: DEFAULT_ADMIN_EMAIL }),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  /**
   * The demo accounts (admin and seller with published passwords) on first start. Off unless set:
   * `npm start` turns it on; never with NODE_ENV=production.
   */
  DEMO_DATA: Type.Boolean({ default: false }),
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
  if (config.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (!config.JWT_KEY_ENCRYPTION_SECRET) {
      problems.push(
        'JWT_KEY_ENCRYPTION_SECRET: is required when NODE_ENV=production (private signing keys are stored encrypted)',
      );
    }
    if (config.DEMO_DATA) {
      problems.push('DEMO_DATA: cannot be true when NODE_ENV=production (the demo accounts have published passwords)');
    }
    const weak = config.ADMIN_PASSWORD === undefined ? undefined : weakAdminPassword(config.ADMIN_PASSWORD);
    if (weak) problems.push(`ADMIN_PASSWORD: ${weak}`);
    if (problems.length) throw new ConfigError(problems);
  }
  return config;
}

/** The admin to create on first start: the configured one, else the demo admin with demo data, else none. */
export function bootstrapAdmin(config: AuthConfig): { email: string; password: string } | undefined {
  if (config.ADMIN_PASSWORD !== undefined) return { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD };
  if (config.DEMO_DATA) return { email: DEFAULT_ADMIN_EMAIL, password: DEFAULT_ADMIN_PASSWORD };
  return undefined;
}
