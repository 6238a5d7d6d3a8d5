// Environment configuration: one TypeBox schema per service, validated once at start.
import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Reads the variables named in `schema` from `env`, converts strings to the declared types,
 * applies defaults and fails with a message naming every bad variable.
 */
export function loadEnv<T extends TObject>(schema: T, env: Env = process.env): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (!Value.Check(schema, converted)) {
    const problems = [...Value.Errors(schema, converted)].map((e) => {
      const name = e.path.replace(/^\//, '') || '(root)';
      const got = raw[name];
      return `${name}: ${e.message}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new ConfigError(problems);
  }
  return converted as Static<T>;
}

/** Variables every service understands; services extend this with their own. */
export const CommonEnv = {
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** PostgreSQL URL; unset = embedded PGlite under DATA_DIR. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** Redis URL; unset = in-memory cache (single process only). */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  DATA_DIR: Type.String({ default: '.data' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  AUTH_JWKS_URL: Type.String({ default: 'http://127.0.0.1:3000/.well-known/jwks.json' }),
  JWT_ISSUER: Type.String({ default: 'microbazaar-auth' }),
  JWT_AUDIENCE: Type.String({ default: 'microbazaar' }),
} satisfies TProperties;

/** Parses a comma-separated list variable. */
export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Prints a configuration error and exits 1; used by every main.ts. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
