// Environment configuration: one TypeBox schema per service, validated once at start.
import { type Static, type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
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
  const given: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    given[key] = value;
    values[key] = fromString(property, value);
  }
  const config = Value.Default(schema, values);
  if (!Value.Check(schema, config)) {
    const messages = new Map<string, string[]>();
    for (const e of Value.Errors(schema, config)) {
      const name = e.path.split('/')[1] || '(root)';
      const seen = messages.get(name) ?? [];
      if (!seen.includes(e.message)) seen.push(e.message);
      messages.set(name, seen);
    }
    const problems = [...messages].map(([name, found]) => {
      const value = given[name];
      if (value === undefined) return `${name}: is required (not set)`;
      const choices = literalChoices(schema.properties[name]);
      const expected = choices ? `Expected one of ${choices.join(', ')}` : found.join('; ');
      return `${name}: ${expected} (got ${shown(name, value)})`;
    });
    throw new ConfigError(problems);
  }
  const { NODE_ENV, TRUST_PROXY } = config as { NODE_ENV?: unknown; TRUST_PROXY?: unknown };
  if (NODE_ENV === 'production' && typeof TRUST_PROXY === 'string' && TRUST_PROXY.trim() === 'true') {
    // believing every peer's X-Forwarded-For lets any client pick its own address (rate-limit key, login limits)
    throw new ConfigError([
      'TRUST_PROXY: cannot be true when NODE_ENV=production (any client could pick its address); ' +
        'name the gateway or load balancers (addresses or ranges) or their hop count',
    ]);
  }
  return config as Static<T>;
}

// Strict on purpose: TypeBox's Value.Convert reads "12.5" as the integer 12, "1e4" as 1 and "true" as 1.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The typed value of one variable, or the string itself when it does not read as the declared type. */
function fromString(schema: TSchema, value: string): unknown {
  if (Array.isArray(schema.anyOf)) {
    for (const option of schema.anyOf as TSchema[]) {
      const converted = fromString(option, value);
      if (Value.Check(option, converted)) return converted;
    }
    return value;
  }
  const text = value.trim();
  switch (schema.type) {
    case 'integer':
    case 'number':
      return NUMBER.test(text) ? Number(text) : value;
    case 'boolean': {
      const word = text.toLowerCase();
      if (word === 'true' || word === '1') return true;
      if (word === 'false' || word === '0') return false;
      return value;
    }
    default:
      return value;
  }
}

function literalChoices(schema: TSchema | undefined): unknown[] | undefined {
  const options = schema?.anyOf as TSchema[] | undefined;
  if (!Array.isArray(options) || !options.every((o) => o.const !== undefined)) return undefined;
  return options.map((o) => o.const);
}

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|API_KEY/i;

/** The rejected value for the message; secrets stay out of logs, including a password inside a URL. */
function shown(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `a hidden value of ${value.length} characters`;
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/i, '$1***@'));
}

/** OpenTelemetry tracing, standard OTel names: without an endpoint nothing is started (see telemetry.ts). */
export const TelemetryEnv = {
  /** OTLP/HTTP collector base URL; spans go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** service.name of the spans; default the service's own name */
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
} satisfies TProperties;

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
  /** opening a PostgreSQL connection may take this long before the database counts as unreachable */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 1000 }),
  /** the server's statement_timeout (0 = none) */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 15_000 }),
  /** a statement unanswered this long makes the pool check the server and its connection (0 = never) */
  DATABASE_SUSPECT_AFTER_MS: Type.Integer({ minimum: 0, default: 500 }),
  /** Redis URL; unset = in-memory cache (single process only). */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  DATA_DIR: Type.String({ default: '.data' }),
  /**
   * PGlite's buffer pool (embedded mode). PostgreSQL's default there is 160 MB, most of the embedded
   * platform's memory; the data files stay in the OS page cache behind a smaller pool.
   */
  PGLITE_SHARED_BUFFERS: Type.String({ pattern: '^[0-9]+(kB|MB|GB)$', default: '32MB' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  /**
   * On SIGTERM, how long readiness answers 503 while requests are still served, before the drain starts:
   * load balancers and the gateway take the instance out of rotation meanwhile (rolling updates).
   */
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 0 }),
  /** How long the drain (in-flight requests, consumers, backends) may take after the delay, then exit 1. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  AUTH_JWKS_URL: Type.String({ default: 'http://127.0.0.1:3000/.well-known/jwks.json' }),
  JWT_ISSUER: Type.String({ default: 'microbazaar-auth' }),
  JWT_AUDIENCE: Type.String({ default: 'microbazaar' }),
  ...TelemetryEnv,
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
