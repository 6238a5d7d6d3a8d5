// Composition root of the auth service: buildApp(deps) wires stores, keys and routes.
import { fileURLToPath } from 'node:url';
import {
  type App,
  type Bus,
  busMetrics,
  type Cache,
  createApp,
  createGuards,
  createTokenVerifier,
  type Db,
  eventsMigrations,
  installEventContext,
  type Logger,
  migrate,
  type OutboxRelay,
  outboxOptionsFrom,
  RevocationList,
  startOutboxRelay,
} from '@microbazaar/kit';
import { createAccounts } from './accounts.js';
import type { AuthConfig } from './config.js';
import { type AuthEvents, outboxEvents } from './events/publisher.js';
import { adminRoutes } from './http/admin.js';
import { authRoutes } from './http/routes.js';
import { KEY_REFRESH_MS, KeyRing } from './keys.js';
import { createPasswordHasher, type PasswordHasher } from './passwords.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export function migrateAuth(db: Db): Promise<string[]> {
  return migrate(db, MIGRATIONS_DIR, { include: [eventsMigrations] });
}

export interface AuthDeps {
  config: AuthConfig;
  logger: Logger;
  db: Db;
  cache: Cache;
  /** publishes the outbox (user.registered, user.password_reset_requested); without it rows wait */
  bus?: Bus;
  /** defaults to the transactional outbox */
  events?: AuthEvents;
  hasher?: PasswordHasher;
}

export async function buildApp(deps: AuthDeps) {
  const { config, logger, db, cache } = deps;
  const keys = new KeyRing(db, {
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    rotationDays: config.SIGNING_KEY_ROTATION_DAYS,
    encryptionSecret: config.JWT_KEY_ENCRYPTION_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  await keys.ensure();

  const hasher =
    deps.hasher ??
    createPasswordHasher({ memoryKiB: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_TIME_COST });
  const accounts = createAccounts({ db, cache, keys, hasher, events: deps.events ?? outboxEvents, config, logger });
  // its own tokens are checked against its own revocations, read straight from the database
  const revocations = new RevocationList({ source: { fetch: (cursor) => accounts.revocations(cursor) } });
  const guards = createGuards(
    createTokenVerifier(keys.getKey, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, revocations }),
  );

  const app: App = await createApp({
    name: 'auth',
    logger,
    description: 'Users, passwords, tokens, roles and password reset',
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: {
      db: () => db.ping(),
      cache: () => cache.ping(),
      ...(deps.bus ? { bus: () => (deps.bus as Bus).ping() } : {}),
    },
  });
  // the request id becomes the correlationId of the events a request causes
  installEventContext(app);

  authRoutes(app, { accounts, keys, guards, accessTtl: config.ACCESS_TOKEN_TTL_SECONDS });
  adminRoutes(app, { accounts, guards });

  // pick up keys rotated by another instance, and rotate when ours gets old
  const keyTimer = setInterval(() => {
    keys.ensure().catch((err: unknown) => logger.warn({ err }, 'signing key refresh failed'));
  }, KEY_REFRESH_MS);
  keyTimer.unref();
  app.addHook('onClose', async () => clearInterval(keyTimer));
  // reset requests answered before the close still get their mail's event written
  app.addHook('onClose', () => accounts.settle());

  let relay: OutboxRelay | undefined;
  if (deps.bus) {
    relay = await startOutboxRelay({
      db,
      bus: deps.bus,
      logger,
      metrics: busMetrics(app.metrics.registry),
      ...outboxOptionsFrom(config),
    });
    app.addHook('onClose', async () => relay?.stop());
  }

  return { app, accounts, keys, relay };
}
