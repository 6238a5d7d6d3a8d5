// Composition root of the auth service: routes, its own token verification, and the background work
// (the outbox relay of user.* events and the signing-key rotation).
import {
  type App,
  type Bus,
  type Cache,
  createServiceApp,
  createTokenVerifier,
  type Db,
  type Logger,
  type OutboxRelay,
  type Periodic,
  RevocationList,
  serviceEvents,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  type WorkersOption,
} from '@microbazaar/kit';
import { KEY_REFRESH_MS, KeyRing } from './adapters/keys.js';
import { createPasswordHasher, type PasswordHasher } from './adapters/passwords.js';
import type { AuthConfig } from './config.js';
import { adminRoutes } from './http/admin.js';
import { authRoutes } from './http/routes.js';
import { type Accounts, createAccounts } from './usecases/accounts.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface AuthDeps extends WorkersOption {
  config: AuthConfig;
  logger: Logger;
  db: Db;
  /** rate-limit counters (Redis across instances, memory otherwise) */
  cache: Cache;
  /** where the relay publishes user.registered and user.password_reset_requested */
  bus: Bus;
  /** defaults to argon2id with the configured cost */
  hasher?: PasswordHasher;
}

export interface AuthService {
  app: App;
  accounts: Accounts;
  keys: KeyRing;
  /** absent when built without workers */
  relay?: OutboxRelay;
  keyRotation?: Periodic;
}

export async function buildApp(deps: AuthDeps): Promise<AuthService> {
  const { config, logger, db, cache, bus } = deps;
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
  const accounts = createAccounts({ db, cache, keys, hasher, config, logger });
  const { app, guards } = await createServiceApp({
    name: 'auth',
    description: 'Users, passwords, tokens, roles and password reset',
    config,
    logger,
    // its own tokens are checked with its own keys and revocations, read straight from the database
    verifier: createTokenVerifier(keys.getKey, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      revocations: new RevocationList({ source: { fetch: (cursor) => accounts.revocations(cursor) } }),
    }),
    readiness: { db: () => db.ping(), cache: () => cache.ping(), bus: () => bus.ping() },
  });
  authRoutes(app, { accounts, keys, guards, accessTtl: config.ACCESS_TOKEN_TTL_SECONDS });
  adminRoutes(app, { accounts, guards });
  // reset requests answered before the close still get their mail's event written
  app.addHook('onClose', () => accounts.settle());

  if (deps.workers === false) return { app, accounts, keys };
  const events = serviceEvents({ app, db, bus, logger, config });
  const workers = await startWorkers(app, async (add) => {
    const relay = add(await events.relay());
    // pick up keys rotated by another instance, and rotate when ours gets old
    const keyRotation = add(startPeriodic('signing-key-rotation', KEY_REFRESH_MS, () => keys.ensure(), logger));
    return { relay, keyRotation };
  });
  return { app, accounts, keys, ...workers };
}
