// One database interface over PostgreSQL (postgres.js pool) and PGlite (embedded), schema per service.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from './logger.js';
import { readPgliteTemplate } from './pglite-template.js';
import { assertSchemaName, createPostgresDb } from './postgres.js';

export type Row = Record<string, unknown>;

/** Something SQL can run on: the pool or an open transaction. Parameters are always `$1..$n`. */
export interface Sql {
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Db extends Sql {
  readonly kind: 'postgres' | 'pglite';
  readonly schema: string;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Subscribes to NOTIFY on a channel; returns an unsubscribe function. The subscription outlives lost
   * connections and outages: `onReconnect` is called each time it is renewed, as whatever was notified
   * meanwhile is lost (catch up then).
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export {
  assertSchemaName,
  createPostgresDb,
  databaseUnavailable,
  isConnectionError,
  isDatabaseUnavailable,
  isDataError,
  type PostgresOptions,
  translateDbError,
} from './postgres.js';

/** PGlite's buffer pool unless configured (PGLITE_SHARED_BUFFERS): its own default of 160 MB is resident memory. */
export const PGLITE_SHARED_BUFFERS = '32MB';

/**
 * One PGlite database shared by every service of the embedded platform. PGlite has a single
 * connection, so each service's view switches search_path under a lock before it runs.
 */
export class PgliteHost {
  private currentSchema = '';
  private tail: Promise<unknown> = Promise.resolve();
  /** Marks code running inside exclusive(); `open` turns false when it ends, for work it started that outlives it. */
  private readonly holding = new AsyncLocalStorage<{ open: boolean }>();

  private constructor(readonly pg: PGlite) {}

  static async open(dataDir: string | undefined, opts: { sharedBuffers?: string } = {}): Promise<PgliteHost> {
    const [{ PGlite }, { pg_trgm }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
    ]);
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    // a new database starts from the ready-made empty cluster (pglite-template.ts) rather than initdb
    const template = dataDir && !existsSync(join(dataDir, 'PG_VERSION')) ? readPgliteTemplate() : undefined;
    // pg_trgm ships with PGlite as a loadable extension: typo-tolerant search works embedded too
    const pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(template ? { loadDataDir: template } : {}),
      extensions: { pg_trgm },
      postgresqlconf: `shared_buffers = ${opts.sharedBuffers ?? PGLITE_SHARED_BUFFERS}`,
    });
    return new PgliteHost(pg);
  }

  /** Runs fn alone on the connection with search_path set to schema. */
  async exclusive<T>(schema: string, fn: () => Promise<T>): Promise<T> {
    if (this.holding.getStore()?.open) {
      throw new Error('database used outside the open transaction: pass the tx handle instead of the db');
    }
    const run = async () => {
      if (this.currentSchema !== schema) {
        await this.pg.exec(`SET search_path TO "${schema}", public`);
        this.currentSchema = schema;
      }
      const section = { open: true };
      try {
        return await this.holding.run(section, fn);
      } finally {
        section.open = false;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => {});
    return result;
  }

  db(schema: string): Db {
    assertSchemaName(schema);
    const pg = this.pg;
    const host = this;
    const listeners = new Set<() => Promise<void>>();
    return {
      kind: 'pglite',
      schema,
      async query<T>(text: string, params: readonly unknown[] = []) {
        return host.exclusive(schema, async () => (await pg.query<T>(text, params as unknown[])).rows);
      },
      async exec(script: string) {
        await host.exclusive(schema, async () => {
          await pg.exec(script);
        });
      },
      async transaction(fn) {
        return host.exclusive(schema, () =>
          pg.transaction((tx) =>
            fn({
              query: async <T>(text: string, params: readonly unknown[] = []) =>
                (await tx.query<T>(text, params as unknown[])).rows,
              exec: async (script: string) => {
                await tx.exec(script);
              },
            }),
          ),
        );
      },
      // one connection in this process: nothing to lose, so onReconnect is never called
      async listen(channel, onNotify) {
        // quoted, as postgres.js does: PGlite would lower-case a bare name and miss pg_notify('MixedCase')
        if (channel.includes('"')) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
        const quoted = `"${channel}"`;
        // PGlite calls handlers inside the query that delivered the NOTIFY; run them outside it so they may use the db
        const deliver = (payload: string) => host.holding.exit(onNotify, payload);
        // through the lock, so LISTEN inside an open transaction fails clearly instead of deadlocking
        await host.exclusive(schema, () => pg.listen(quoted, deliver));
        const unsubscribe = async () => {
          listeners.delete(unsubscribe);
          await host.exclusive(schema, () => pg.unlisten(quoted, deliver));
        };
        listeners.add(unsubscribe);
        return unsubscribe;
      },
      async ping() {
        await host.exclusive(schema, () => pg.query('select 1'));
      },
      async close() {
        for (const unsub of listeners) await unsub().catch(() => {});
        // the host owns the connection; PgliteHost.close() ends it
      },
    };
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.pg.close();
  }
}

export interface DbConfig {
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_MAX: number;
  DATABASE_CONNECT_TIMEOUT_MS?: number;
  DATABASE_STATEMENT_TIMEOUT_MS?: number;
  DATABASE_SUSPECT_AFTER_MS?: number;
  DATA_DIR: string;
  PGLITE_SHARED_BUFFERS?: string;
}

/** PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR (a host may be shared). */
export async function openDb(
  config: DbConfig,
  schema: string,
  shared?: { pglite?: PgliteHost },
  logger?: Logger,
): Promise<{ db: Db; close: () => Promise<void> }> {
  if (config.DATABASE_URL) {
    const db = createPostgresDb({
      url: config.DATABASE_URL,
      schema,
      poolMax: config.DATABASE_POOL_MAX,
      ...(config.DATABASE_CONNECT_TIMEOUT_MS !== undefined
        ? { connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS }
        : {}),
      ...(config.DATABASE_STATEMENT_TIMEOUT_MS !== undefined
        ? { statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS }
        : {}),
      ...(config.DATABASE_SUSPECT_AFTER_MS !== undefined ? { suspectAfterMs: config.DATABASE_SUSPECT_AFTER_MS } : {}),
      ...(logger ? { logger } : {}),
    });
    return { db, close: () => db.close() };
  }
  if (shared?.pglite) {
    const db = shared.pglite.db(schema);
    return { db, close: () => db.close() };
  }
  const host = await PgliteHost.open(join(config.DATA_DIR, 'pglite'), {
    ...(config.PGLITE_SHARED_BUFFERS ? { sharedBuffers: config.PGLITE_SHARED_BUFFERS } : {}),
  });
  const db = host.db(schema);
  return {
    db,
    close: async () => {
      await db.close();
      await host.close();
    },
  };
}

export interface MigrateOptions {
  /**
   * Shared migration folders applied before the service's own (e.g. the kit's outbox/inbox
   * tables, `eventsMigrations`); their versions are recorded as `<name>/<file>`.
   */
  include?: readonly { name: string; dir: string }[];
}

/**
 * Applies `migrations/NNNN_*.sql` in order, each in its own transaction, recorded in
 * `<schema>.schema_migrations`. An advisory lock lets several instances start at once.
 */
export async function migrate(db: Db, dir: string, options: MigrateOptions = {}): Promise<string[]> {
  const sqlFiles = (folder: string) =>
    readdirSync(folder)
      .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
      .sort();
  const included = (options.include ?? []).flatMap((source) =>
    sqlFiles(source.dir).map((file) => ({
      dir: source.dir,
      file,
      version: `${source.name}/${file.replace(/\.sql$/, '')}`,
    })),
  );
  const files = sqlFiles(dir);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${db.schema}`]);
    await tx.exec(
      `CREATE SCHEMA IF NOT EXISTS "${db.schema}";
       CREATE TABLE IF NOT EXISTS "${db.schema}".schema_migrations (
         version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());`,
    );
    const done = new Set(
      (await tx.query<{ version: string }>(`SELECT version FROM "${db.schema}".schema_migrations`)).map(
        (r) => r.version,
      ),
    );
    const all = [...included, ...files.map((file) => ({ dir, file, version: file.replace(/\.sql$/, '') }))];
    for (const { dir: folder, file, version } of all) {
      if (done.has(version)) continue;
      await tx.exec(readFileSync(join(folder, file), 'utf8'));
      await tx.query(`INSERT INTO "${db.schema}".schema_migrations (version) VALUES ($1)`, [version]);
      applied.push(version);
    }
  });
  return applied;
}
