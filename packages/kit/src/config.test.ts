// loadEnv: typed configuration from strings, with defaults and one error naming every bad variable.
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { CommonEnv, ConfigError, exitOnConfigError, list, loadEnv } from './config.js';

const Schema = Type.Object({
  ...CommonEnv,
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3001 }),
  TAX_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
  EMAIL_ENABLED: Type.Boolean({ default: false }),
  SHOP_NAME: Type.String({ minLength: 1, default: 'microBazaar' }),
  PAYMENT_PROVIDER: Type.Union([Type.Literal('sandbox'), Type.Literal('stripe')], { default: 'sandbox' }),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ minLength: 10 })),
  MAX_ITEMS: Type.Optional(Type.Integer({ minimum: 1 })),
});

const Required = Type.Object({ ADMIN_EMAIL: Type.String({ minLength: 3 }), WORKERS: Type.Integer() });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnv', () => {
  it('applies every default when nothing is set', () => {
    expect(loadEnv(Schema, {})).toEqual({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      DATABASE_POOL_MAX: 10,
      DATABASE_CONNECT_TIMEOUT_MS: 1000,
      DATABASE_STATEMENT_TIMEOUT_MS: 15_000,
      DATABASE_SUSPECT_AFTER_MS: 500,
      DATA_DIR: '.data',
      PGLITE_SHARED_BUFFERS: '32MB',
      BODY_LIMIT_BYTES: 1_048_576,
      TRUST_PROXY: 'loopback',
      DRAIN_DELAY_MS: 0,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      AUTH_JWKS_URL: 'http://127.0.0.1:3000/.well-known/jwks.json',
      JWT_ISSUER: 'microbazaar-auth',
      JWT_AUDIENCE: 'microbazaar',
      PORT: 3001,
      TAX_RATE: 0.2,
      EMAIL_ENABLED: false,
      SHOP_NAME: 'microBazaar',
      PAYMENT_PROVIDER: 'sandbox',
    });
  });

  it('converts numbers and booleans and keeps strings', () => {
    const config = loadEnv(Schema, {
      PORT: '8080',
      TAX_RATE: '0.075',
      EMAIL_ENABLED: 'true',
      SHOP_NAME: '42',
      DATABASE_URL: 'postgres://app@db:5432/shop',
      REDIS_URL: 'redis://cache:6379',
      NODE_ENV: 'production',
      PAYMENT_PROVIDER: 'stripe',
      MAX_ITEMS: '250',
      SHUTDOWN_TIMEOUT_MS: '0',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      TAX_RATE: 0.075,
      EMAIL_ENABLED: true,
      SHOP_NAME: '42',
      DATABASE_URL: 'postgres://app@db:5432/shop',
      REDIS_URL: 'redis://cache:6379',
      NODE_ENV: 'production',
      PAYMENT_PROVIDER: 'stripe',
      MAX_ITEMS: 250,
      SHUTDOWN_TIMEOUT_MS: 0,
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('reads the boolean %j as %s', (value, expected) => {
    expect(loadEnv(Schema, { EMAIL_ENABLED: value }).EMAIL_ENABLED).toBe(expected);
  });

  it.each([
    ['1e4', 10_000],
    [' 8080 ', 8080],
    ['+7', 7],
  ])('reads the integer %j as %s', (value, expected) => {
    expect(loadEnv(Type.Object({ N: Type.Integer() }), { N: value }).N).toBe(expected);
  });

  it('treats empty strings as unset', () => {
    const config = loadEnv(Schema, {
      PORT: '',
      EMAIL_ENABLED: '',
      SHOP_NAME: '',
      STRIPE_SECRET_KEY: '',
      MAX_ITEMS: '',
    });
    expect(config.PORT).toBe(3001);
    expect(config.EMAIL_ENABLED).toBe(false);
    expect(config.SHOP_NAME).toBe('microBazaar');
    expect('STRIPE_SECRET_KEY' in config).toBe(false);
    expect('MAX_ITEMS' in config).toBe(false);
    const err = configError(() => loadEnv(Required, { ADMIN_EMAIL: '', WORKERS: '2' }));
    expect(err.message).toMatch(/ADMIN_EMAIL.*not set/);
  });

  it('names the variable and the value that is wrong', () => {
    const err = configError(() => loadEnv(Schema, { PORT: 'eighty' }));
    expect(err.name).toBe('ConfigError');
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('"eighty"');
  });

  it.each([
    ['PORT', '12.5'],
    ['PORT', 'true'],
    ['PORT', '0x50'],
    ['PORT', '80abc'],
    ['PORT', '70000'],
    ['PORT', '-0'],
    ['SHUTDOWN_TIMEOUT_MS', '10s'],
    ['TAX_RATE', 'NaN'],
    ['TAX_RATE', 'Infinity'],
    ['TAX_RATE', '1,5'],
    ['TAX_RATE', '0x1'],
    ['EMAIL_ENABLED', 'yes'],
    ['EMAIL_ENABLED', 'on'],
    ['NODE_ENV', 'prod'],
    ['LOG_LEVEL', 'verbose'],
    ['DATABASE_URL', 'mysql://db/shop'],
  ])('rejects %s=%j, naming it and the value as given', (name, value) => {
    const err = configError(() => loadEnv(Schema, { [name]: value }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(name);
    expect(err.problems[0]).toContain(JSON.stringify(value));
  });

  it('lists the allowed values of a choice', () => {
    const err = configError(() => loadEnv(Schema, { PAYMENT_PROVIDER: 'paypal' }));
    expect(err.problems[0]).toMatch(/PAYMENT_PROVIDER.*sandbox.*stripe.*"paypal"/);
  });

  it('lists every bad variable at once', () => {
    const err = configError(() =>
      loadEnv(Schema, { PORT: 'x', TAX_RATE: '2', EMAIL_ENABLED: 'maybe', NODE_ENV: 'staging', HOST: 'ok' }),
    );
    expect(err.problems).toHaveLength(4);
    for (const name of ['PORT', 'TAX_RATE', 'EMAIL_ENABLED', 'NODE_ENV']) expect(err.message).toContain(name);
    expect(err.message).not.toContain('HOST');
    const missing = configError(() => loadEnv(Required, {}));
    expect(missing.problems).toHaveLength(2);
    expect(missing.message).toMatch(/ADMIN_EMAIL.*not set/);
    expect(missing.message).toMatch(/WORKERS.*not set/);
  });

  it('refuses TRUST_PROXY=true in production only (issue 14.8: services believe the gateway, not anyone)', () => {
    const schema = Type.Object({ NODE_ENV: CommonEnv.NODE_ENV, TRUST_PROXY: CommonEnv.TRUST_PROXY });
    expect(() => loadEnv(schema, { NODE_ENV: 'production', TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY: cannot be true when NODE_ENV=production/,
    );
    for (const TRUST_PROXY of ['1', '10.0.0.0/8', 'loopback', 'false'])
      expect(loadEnv(schema, { NODE_ENV: 'production', TRUST_PROXY }).TRUST_PROXY).toBe(TRUST_PROXY);
    expect(loadEnv(schema, { NODE_ENV: 'development', TRUST_PROXY: 'true' }).TRUST_PROXY).toBe('true');
  });

  it('does not print secrets it rejects', () => {
    const err = configError(() =>
      loadEnv(Schema, { DATABASE_URL: 'mysql://shop:hunter2-pw@db/shop', STRIPE_SECRET_KEY: 'sk_short' }),
    );
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).toContain('STRIPE_SECRET_KEY');
    expect(err.message).not.toContain('hunter2-pw');
    expect(err.message).not.toContain('sk_short');
  });

  it('reads only the variables of its schema and leaves the environment alone', () => {
    const env = { PORT: '9000', UNRELATED: 'x', PATH: '/usr/bin' };
    const config = loadEnv(Type.Object({ PORT: Type.Integer() }), env);
    expect(config).toEqual({ PORT: 9000 });
    expect(env).toEqual({ PORT: '9000', UNRELATED: 'x', PATH: '/usr/bin' });
  });
});

describe('config helpers', () => {
  it('list() splits a comma-separated variable', () => {
    expect(list(' a, b,,c ,')).toEqual(['a', 'b', 'c']);
    expect(list(undefined)).toEqual([]);
    expect(list('')).toEqual([]);
  });

  it('exitOnConfigError rethrows anything that is not a ConfigError', () => {
    const other = new Error('disk full');
    expect(() => exitOnConfigError(other)).toThrow(other);
  });
});
