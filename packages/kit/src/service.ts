// One way to run a service: open its backends, migrate, build, listen and drain (runService), and the
// pieces every app.ts needs the same way (serviceMigrations, createServiceApp).
import { fileURLToPath } from 'node:url';
import { type App, createApp, type ReadinessCheck } from './app.js';
import { createGuards, createJwksVerifier, type Guards, type TokenVerifier } from './auth.js';
import { type BusConfig, fastPathsFrom, openBus, outboxOptionsFrom, retryPolicyFrom } from './bus/config.js';
import {
  type EventHandlers,
  type FastEventHandlers,
  type SubscribeWithInboxOptions,
  subscribeWithInbox,
} from './bus/inbox.js';
import { busMetrics } from './bus/metrics.js';
import { eventsMigrations, startOutboxRelay } from './bus/outbox.js';
import { installEventContext } from './bus/tracing.js';
import type { Bus, Subscription } from './bus/types.js';
import { type Cache, openCache } from './cache.js';
import { type Db, type DbConfig, migrate, openDb } from './db.js';
import { createLogger, type Logger } from './logger.js';
import { listen, type RunningService } from './server.js';
import type { SharedDeps } from './shared.js';

/** A service's SQL migrations: the kit's outbox and inbox tables first, then its own folder. */
export interface Migrations {
  /** the service's folder of `NNNN_<what>.sql` files */
  readonly dir: string;
  /** applies what is not applied yet (safe with several instances at once); the versions applied */
  apply(db: Db): Promise<string[]>;
}

/** `serviceMigrations(new URL('../migrations', import.meta.url))` in the service's app.ts. */
export function serviceMigrations(dir: URL | string): Migrations {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  return { dir: path, apply: (db) => migrate(db, path, { include: [eventsMigrations] }) };
}

/** What createServiceApp reads from the config (all in CommonEnv). */
export interface ServiceAppConfig {
  BODY_LIMIT_BYTES: number;
  TRUST_PROXY: string;
  AUTH_JWKS_URL: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}

export interface ServiceAppOptions {
  name: string;
  /** one line for the OpenAPI document */
  description: string;
  config: ServiceAppConfig;
  logger: Logger;
  /** named checks of /health/ready: `{ db: () => db.ping(), bus: () => bus.ping() }` */
  readiness: Record<string, ReadinessCheck>;
  /** verifies access tokens; default the auth service's keys at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier | undefined;
  /** whole-request limit (default 60 s) */
  requestTimeoutMs?: number;
}

/**
 * The HTTP app of a service (kit createApp with the config's body limit and proxy trust), with the
 * request id carried into the events its routes write, and the guards for its routes.
 */
export async function createServiceApp(opts: ServiceAppOptions): Promise<{ app: App; guards: Guards }> {
  const { config } = opts;
  const app = await createApp({
    name: opts.name,
    logger: opts.logger,
    description: opts.description,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: opts.readiness,
    ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  // the request id becomes the correlationId of the events a request writes
  installEventContext(app);
  const verifier =
    opts.verifier ??
    createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  return { app, guards: createGuards(verifier) };
}

/** What serviceEvents needs: the service's app (for its metrics), database, bus, logger and config. */
export interface ServiceEventsDeps {
  app: App;
  db: Db;
  bus: Bus;
  logger: Logger;
  config: BusConfig;
}

/**
 * The event workers of a service, wired from its config the same way everywhere: the outbox relay
 * (OUTBOX_* settings) and consumers through the inbox (BUS_* retry policy, fast paths unless
 * INBOX_FAST_PATHS=false), both counted in the app's /metrics. Start them inside startWorkers:
 * `add(await events.relay())` first, `add(await events.consume(queue, handlers, fastPaths))` last.
 */
export function serviceEvents({ app, db, bus, logger, config }: ServiceEventsDeps) {
  const metrics = busMetrics(app.metrics.registry);
  return {
    relay: () => startOutboxRelay({ db, bus, logger, metrics, ...outboxOptionsFrom(config) }),
    consume: (
      queue: string,
      handlers: EventHandlers,
      fastPaths?: FastEventHandlers,
      options: Pick<SubscribeWithInboxOptions, 'bindings' | 'consumer' | 'maxBatch' | 'retentionMs' | 'inDoubt'> = {},
    ): Promise<Subscription> =>
      subscribeWithInbox({
        bus,
        db,
        queue,
        handlers,
        fastPaths: fastPaths && fastPathsFrom(config, fastPaths),
        logger,
        metrics,
        ...retryPolicyFrom(config),
        ...options,
      }),
  };
}

/** What the runner reads from every service's config: CommonEnv plus the service's PORT. */
export interface RunnerConfig extends DbConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  REDIS_URL?: string | undefined;
}

/** What a service's `build` gets from the runner: the backends it asked for, opened (and migrated). */
export interface Backends {
  logger: Logger;
  /** the service's schema, migrated (asked for with `db`) */
  readonly db: Db;
  /** keys under the service's prefix (asked for with `cache`) */
  readonly cache: Cache;
  /** the event bus (asked for with `bus: true`) */
  readonly bus: Bus;
  /** closes `resource` when the service stops, after the app and before the bus and database; returns it */
  closeWith<T extends { close(): Promise<unknown> }>(resource: T): T;
}

export interface ServiceSpec<C extends RunnerConfig, S extends { app: App }> {
  name: string;
  config: C;
  /** the embedded platform's shared PGlite, memory cache and broker (`npm start`); absent when alone */
  shared?: SharedDeps | undefined;
  /** PostgreSQL at DATABASE_URL or the embedded PGlite, in `schema`, migrated before `build` */
  db?: { schema: string; migrations: Migrations };
  /** Redis at REDIS_URL or memory, keys under `prefix` */
  cache?: { prefix: string };
  /** RabbitMQ at RABBITMQ_URL or the in-memory bus (the config spreads BusEnv) */
  bus?: boolean;
  /** builds the app (buildApp) from the backends: what is special about the service goes here */
  build(backends: Backends): Promise<S>;
}

/** A running service, and what its build returned (the app, its use cases, its workers). */
export type StartedService<S> = RunningService & { service: S };

/**
 * Starts a service the one way they all start: logger, database (migrated), cache, bus, build,
 * listen. stop() (SIGTERM through runMain) drains the app, its workers (they stop when the app
 * closes), then closes what `closeWith` took, the bus, the cache and the database. A start that
 * fails closes whatever it had opened and rethrows.
 */
export async function runService<C extends RunnerConfig, S extends { app: App }>(
  spec: ServiceSpec<C, S>,
): Promise<StartedService<S>> {
  const { name, config, shared = {} } = spec;
  const logger = createLogger(name, config.LOG_LEVEL);
  // closed newest first: what build took, then the bus, the cache, the database
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'closing a backend failed'));
    }
  };
  const missing = (what: string, option: string) => () => {
    throw new Error(`${name} did not ask runService for ${what}: add \`${option}\` to its spec`);
  };
  const opened: { db?: Db; cache?: Cache; bus?: Bus } = {};
  try {
    if (spec.db) {
      const { db, close } = await openDb(config, spec.db.schema, shared, logger);
      closers.push(close);
      opened.db = db;
      const applied = await spec.db.migrations.apply(db);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    if (spec.cache) {
      const cache = openCache(config, spec.cache.prefix, shared.cache);
      closers.push(() => cache.close());
      opened.cache = cache;
    }
    if (spec.bus) {
      if (!('BUS_PREFETCH' in config)) throw new Error(`${name}: bus: true needs BusEnv in the config schema`);
      const bus = openBus(config as unknown as BusConfig, { name, logger, shared: shared.bus });
      closers.push(() => bus.close());
      opened.bus = bus;
    }
    const backends: Backends = {
      logger,
      get db() {
        return opened.db ?? missing('a database', 'db: { schema, migrations }')();
      },
      get cache() {
        return opened.cache ?? missing('a cache', "cache: { prefix: '<name>:' }")();
      },
      get bus() {
        return opened.bus ?? missing('the bus', 'bus: true')();
      },
      closeWith(resource) {
        closers.push(() => resource.close());
        return resource;
      },
    };
    const service = await spec.build(backends);
    try {
      const running = await listen(service.app, { name, port: config.PORT, host: config.HOST, onClose: closeAll });
      return { ...running, service };
    } catch (err) {
      // the workers stop with the app
      await service.app.close().catch(() => {});
      throw err;
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
}
