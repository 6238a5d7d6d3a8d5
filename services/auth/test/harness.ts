// Builds the auth service with the kit's service harness (a fresh database, a RabbitMQ name prefix, a second
// bus that records the user.* events the service publishes) and its rate-limit counters under a Redis prefix.
import type { EventData, EventType } from '@microbazaar/contracts';
import { type Cache, createLogger, type Env, RedisCache } from '@microbazaar/kit';
import {
  eventually,
  type ServiceHarness,
  startServiceHarness,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import type { PasswordHasher } from '../src/adapters/passwords.js';
import { type AuthService, buildApp, migrations } from '../src/app.js';
import { type AuthConfig, loadConfig } from '../src/config.js';

export interface AuthHarness extends ServiceHarness<AuthService> {
  config: AuthConfig;
  accounts: AuthService['accounts'];
  cache: Cache;
  /** user.* events written to the outbox (committed, relayed or not), all or those about one address */
  outboxed(type: EventType, email?: string): Promise<number>;
  /** the reset link mailed to an address: the user.password_reset_requested event as the platform got it */
  resetLink(email: string): Promise<EventData<'user.password_reset_requested'>>;
}

/** `urls`: reach PostgreSQL or Redis at another address (a fault proxy in front of it). */
export async function startAuthHarness(
  label: string,
  env: Env = {},
  urls: { db?: string; redis?: string } = {},
  extra: { hasher?: PasswordHasher } = {},
): Promise<AuthHarness> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const cache = new RedisCache(urls.redis ?? TEST_REDIS_URL, uniquePrefix(label));
  const h = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: ['user.*'],
    dbUrl: urls.db,
    build: ({ db, bus }) =>
      buildApp({
        config,
        logger: createLogger('auth', config.LOG_LEVEL),
        db,
        cache,
        bus,
        ...(extra.hasher ? { hasher: extra.hasher } : {}),
      }),
  }).catch(async (err: unknown) => {
    await cache.close();
    throw err;
  });
  h.onClose(() => cache.close());
  return {
    ...h,
    config,
    accounts: h.service.accounts,
    cache,
    async outboxed(type, email) {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE type = $1 AND ($2::text IS NULL OR payload->'data'->>'email' = $2)`,
        [type, email ?? null],
      );
      return row?.n ?? 0;
    },
    resetLink: (email) =>
      eventually(() => {
        const event = h.published.find((e) => e.type === 'user.password_reset_requested' && e.data.email === email) as
          | { data: EventData<'user.password_reset_requested'> }
          | undefined;
        if (!event) throw new Error(`no reset link published for ${email}`);
        return event.data;
      }, 10_000),
  };
}

let counter = 0;
export function email(tag = 'user'): string {
  counter += 1;
  return `${tag}-${Date.now().toString(36)}-${counter}@example.com`;
}

export const PASSWORD = 'correct horse battery';
