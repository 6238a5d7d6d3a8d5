// One database interface over PostgreSQL (postgres.js pool) and PGlite (embedded), schema per service.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { Unavailable } from './errors.js';

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
  /** Subscribes to NOTIFY on a channel; returns an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
]);

/** True when the error means "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = String((err as { code?: unknown }).code ?? '');
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const errors = (err as { errors?: unknown[] }).errors;
  return Array.isArray(errors) && errors.some(isConnectionError);
}

/**
 * True when PostgreSQL refused a value the request carried: SQLSTATE class 22 (data exception: a NUL
 * character, a number out of range, text that is no valid uuid or date) or 54000 (a value too large
 * to index). The request is wrong, not the service.
 */
export function isDataError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = String((err as { code?: unknown }).code ?? '');
  return /^22[0-9A-Z]{3}$/.test(code) || code === '54000';
}

function translate(err: unknown): never {
  if (isConnectionError(err))
    throw new Unavailable('The database is unavailable, try again shortly', 'DATABASE_UNAVAILABLE', err);
  throw err;
}

export interface PostgresOptions {
  url: string;
  schema: string;
  poolMax?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
}

/** PostgreSQL through postgres.js: prepared statements, pooled, search_path pinned to the service schema. */
export function createPostgresDb(opts: PostgresOptions): Db {
  assertSchemaName(opts.schema);
  const sql = postgres(opts.url, {
    max: opts.poolMax ?? 10,
    connect_timeout: 5,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: {
      search_path: `"${opts.schema}", public`,
      application_name: opts.applicationName ?? opts.schema,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
    },
    types: {
      // counts and ids as numbers (all our int8 values are far below 2^53)
      int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
      // a string bound to json/jsonb is JSON text already, as in PGlite: encoding it again would store a JSON string
      json: {
        to: 114,
        from: [114, 3802],
        serialize: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)),
        parse: (v: string) => JSON.parse(v),
      },
    },
  });
  const wrap = (runner: postgres.Sql | postgres.TransactionSql): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      try {
        const rows = await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
        return rows as unknown as T[];
      } catch (err) {
        return translate(err);
      }
    },
    async exec(script: string) {
      try {
        await runner.unsafe(script);
      } catch (err) {
        translate(err);
      }
    },
  });
  const base = wrap(sql);
  return {
    kind: 'postgres',
    schema: opts.schema,
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      try {
        return (await sql.begin((tx) => fn(wrap(tx)))) as Awaited<ReturnType<typeof fn>>;
      } catch (err) {
        return translate(err);
      }
    },
    async listen(channel, onNotify) {
      try {
        const sub = await sql.listen(channel, (payload) => onNotify(payload));
        return async () => {
          await sub.unlisten().catch(() => {});
        };
      } catch (err) {
        return translate(err);
      }
    },
    async ping() {
      await base.query('select 1');
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

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
    // pg_trgm ships with PGlite as a loadable extension: typo-tolerant search works embedded too
    const pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
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
  DATA_DIR: string;
  PGLITE_SHARED_BUFFERS?: string;
}

/** PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR (a host may be shared). */
export async function openDb(
  config: DbConfig,
  schema: string,
  shared?: { pglite?: PgliteHost },
): Promise<{ db: Db; close: () => Promise<void> }> {
  if (config.DATABASE_URL) {
    const db = createPostgresDb({ url: config.DATABASE_URL, schema, poolMax: config.DATABASE_POOL_MAX });
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
