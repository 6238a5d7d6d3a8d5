// Builds the auth app on a fresh PostgreSQL database and a Redis key prefix, as in production.
import {
  type Bus,
  type Cache,
  createLogger,
  createPostgresDb,
  type Db,
  type Env,
  RedisCache,
  type Sql,
} from '@microbazaar/kit';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, uniquePrefix } from '@microbazaar/kit/testing';
import { buildApp, migrateAuth } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { AuthEvents, PasswordResetRequested, UserRegistered } from '../src/events/publisher.js';
import type { PasswordHasher } from '../src/passwords.js';

export interface CapturedEvents extends AuthEvents {
  registered: UserRegistered[];
  resets: PasswordResetRequested[];
}

export function captureEvents(): CapturedEvents {
  const registered: UserRegistered[] = [];
  const resets: PasswordResetRequested[] = [];
  return {
    registered,
    resets,
    async userRegistered(_tx: Sql, data) {
      registered.push(data);
    },
    async passwordResetRequested(_tx: Sql, data) {
      resets.push(data);
    },
  };
}

export interface Harness {
  app: Awaited<ReturnType<typeof buildApp>>['app'];
  accounts: Awaited<ReturnType<typeof buildApp>>['accounts'];
  db: Db;
  cache: Cache;
  events: CapturedEvents;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startHarness(
  label: string,
  env: Env = {},
  urls: { db?: string; redis?: string } = {},
  extra: { bus?: Bus; realEvents?: boolean; hasher?: PasswordHasher } = {},
): Promise<Harness> {
  const database = await createTestDatabase(label);
  const db = createPostgresDb({
    url: urls.db ? urls.db.replace(/\/[^/]*$/, `/${database.name}`) : database.url,
    schema: 'auth',
  });
  await migrateAuth(db);
  const cache = new RedisCache(urls.redis ?? TEST_REDIS_URL, uniquePrefix(label));
  const events = captureEvents();
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  const { app, accounts } = await buildApp({
    config,
    logger: createLogger('auth', 'silent'),
    db,
    cache,
    ...(extra.realEvents ? {} : { events }),
    ...(extra.bus ? { bus: extra.bus } : {}),
    ...(extra.hasher ? { hasher: extra.hasher } : {}),
  });
  await app.ready();
  return {
    app,
    accounts,
    db,
    cache,
    events,
    database,
    async close() {
      await app.close();
      await cache.close();
      await db.close();
      await database.drop();
    },
  };
}

let counter = 0;
export function email(tag = 'user'): string {
  counter += 1;
  return `${tag}-${Date.now().toString(36)}-${counter}@example.com`;
}

export const PASSWORD = 'correct horse battery';
