// The same behaviour from both Db implementations: PostgreSQL (postgres.js) and the shared PGlite host.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, type Db, isConnectionError, isDataError, migrate, PgliteHost } from './db.js';
import { Unavailable } from './errors.js';
import { createTestDatabase, eventually, type TestDatabase } from './testing.js';

let testDb: TestDatabase;
let host: PgliteHost;
const opened: Db[] = [];
const tempDirs: string[] = [];

beforeAll(async () => {
  [testDb, host] = await Promise.all([createTestDatabase('kit-db'), PgliteHost.open(undefined)]);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((db) => db.close()));
  await host?.close();
  await testDb?.drop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

interface Backend {
  name: 'postgres' | 'pglite';
  /** A new handle on `schema`: a new pool for postgres, a new view of the one host for PGlite. */
  open(schema: string): Db;
}

const backends: Backend[] = [
  {
    name: 'postgres',
    open(schema) {
      const db = createPostgresDb({ url: testDb.url, schema, poolMax: 4 });
      opened.push(db);
      return db;
    },
  },
  {
    name: 'pglite',
    open(schema) {
      const db = host.db(schema);
      opened.push(db);
      return db;
    },
  },
];

const schemaName = (label: string) => `t_${label}_${randomBytes(3).toString('hex')}`;

/** A migrations directory holding exactly these files. */
function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kit-migrations-'));
  tempDirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

/** Rejects when the promise is still pending after ms, so a deadlock fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tableSchemas(db: Db, table: string): Promise<string[]> {
  const rows = await db.query<{ table_schema: string }>(
    'SELECT table_schema FROM information_schema.tables WHERE table_name = $1 ORDER BY table_schema',
    [table],
  );
  return rows.map((r) => r.table_schema);
}

describe.each(backends)('Db on $name', (backend) => {
  it('returns typed rows and stores parameters verbatim', async () => {
    const schema = schemaName('types');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema};
      CREATE TABLE things (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        big int8, price numeric(12, 2), at timestamptz, doc jsonb, name text)`);
    const at = new Date('2024-02-29T12:34:56.789Z');
    const hostile = `Robert'); DROP TABLE things; -- $1 \\ "x"`;
    const [row] = await db.query<{
      id: string;
      big: number;
      price: string;
      at: Date;
      doc: unknown;
      name: string;
    }>('INSERT INTO things (big, price, at, doc, name) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
      9_007_199_254_740_991,
      '12.50',
      at,
      { items: [1, 'two', null], nested: { ok: true } },
      hostile,
    ]);
    expect(row).toBeDefined();
    expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row?.big).toBe(9_007_199_254_740_991);
    expect(row?.price).toBe('12.50');
    expect(row?.at).toBeInstanceOf(Date);
    expect(row?.at.getTime()).toBe(at.getTime());
    expect(row?.doc).toEqual({ items: [1, 'two', null], nested: { ok: true } });
    expect(row?.name).toBe(hostile);

    // int8 aggregates are numbers too; the hostile string did not run as SQL
    const [counted] = await db.query<{ n: number; max: number }>('SELECT count(*) AS n, max(big) AS max FROM things');
    expect(counted).toEqual({ n: 1, max: 9_007_199_254_740_991 });
    const [found] = await db.query<{ id: string }>('SELECT id FROM things WHERE name = $1', [hostile]);
    expect(found?.id).toBe(row?.id);
    const none = await db.query('SELECT id FROM things WHERE name = $1', ["' OR '1'='1"]);
    expect(none).toEqual([]);
  });

  it('reports values PostgreSQL refuses (NUL, overflow, bad uuid) as data errors, not connection errors', async () => {
    const schema = schemaName('data');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE vals (id uuid, n int4, name text, doc jsonb)`);
    const refused = [
      ['INSERT INTO vals (name) VALUES ($1)', ['a\u0000b']],
      ['INSERT INTO vals (doc) VALUES ($1)', [{ k: 'a\u0000b' }]],
      ['INSERT INTO vals (n) VALUES ($1)', [2 ** 40]],
      ['SELECT * FROM vals WHERE id = $1', ['not-a-uuid']],
    ] as const;
    for (const [sql, params] of refused) {
      const err = await db.query(sql, [...params]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, sql).toBeDefined();
      expect(isDataError(err), `${sql}: ${String(err)}`).toBe(true);
      expect(isConnectionError(err)).toBe(false);
    }
    expect(isDataError(new Error('x'))).toBe(false);
  });

  it('treats a string bound to jsonb as JSON text, the same on both backends', async () => {
    const schema = schemaName('json');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE docs (n int, doc jsonb)`);
    await db.query('INSERT INTO docs VALUES (1, $1), (2, $2), (3, $3), (4, $4)', [
      { a: 1 },
      JSON.stringify({ a: 1 }),
      [1, 2],
      null,
    ]);
    const rows = await db.query<{ n: number; doc: unknown; kind: string | null }>(
      'SELECT n, doc, jsonb_typeof(doc) AS kind FROM docs ORDER BY n',
    );
    expect(rows).toEqual([
      { n: 1, doc: { a: 1 }, kind: 'object' },
      { n: 2, doc: { a: 1 }, kind: 'object' },
      { n: 3, doc: [1, 2], kind: 'array' },
      { n: 4, doc: null, kind: null },
    ]);
  });

  it('commits a transaction and returns its result', async () => {
    const schema = schemaName('commit');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ledger (entry text NOT NULL)`);
    const result = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO ledger VALUES ($1), ($2)', ['a', 'b']);
      const [row] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM ledger');
      return row?.n;
    });
    expect(result).toBe(2);
    expect(await db.query('SELECT entry FROM ledger ORDER BY entry')).toEqual([{ entry: 'a' }, { entry: 'b' }]);
  });

  it('rolls a transaction back on a throw and rethrows the original error', async () => {
    const schema = schemaName('rollback');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ledger (entry text PRIMARY KEY)`);
    await db.query('INSERT INTO ledger VALUES ($1)', ['kept']);

    const boom = new Error('payment provider said no');
    const thrown = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES ($1)', ['lost-1']);
        await tx.exec("INSERT INTO ledger VALUES ('lost-2'); UPDATE ledger SET entry = 'changed' WHERE entry = 'kept'");
        throw boom;
      })
      .catch((err: unknown) => err);
    expect(thrown).toBe(boom);

    // a failing statement rolls back what ran before it in the same transaction
    const sqlError = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES ($1)', ['lost-3']);
        await tx.query('INSERT INTO ledger VALUES ($1)', ['kept']);
      })
      .catch((err: unknown) => err);
    expect(sqlError).toMatchObject({ code: '23505' });
    expect(sqlError).not.toBeInstanceOf(Unavailable);

    expect(await db.query('SELECT entry FROM ledger')).toEqual([{ entry: 'kept' }]);
  });

  it('migrate applies NNNN_*.sql in order into its schema, records them and is idempotent', async () => {
    const schema = schemaName('migrate');
    const db = backend.open(schema);
    const dir = migrationsDir({
      // written out of order on purpose: 0002 only works after 0001
      '0002_add_price.sql': 'ALTER TABLE items ADD COLUMN price integer NOT NULL DEFAULT 0;',
      '0001_create_items.sql': 'CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL);',
      '0010_seed-items.sql': "INSERT INTO items (id, name, price) VALUES (1, 'lamp', 1999), (2, 'rug', 4999);",
      'README.md': 'not a migration',
      '0003_notes.txt': 'CREATE TABLE notes_txt (id int);',
      '12_short.sql': 'CREATE TABLE short_name (id int);',
      '0004_backup.sql.bak': 'CREATE TABLE backup (id int);',
      'x0005_prefixed.sql': 'CREATE TABLE prefixed (id int);',
    });

    expect(await migrate(db, dir)).toEqual(['0001_create_items', '0002_add_price', '0010_seed-items']);
    const recorded = await db.query<{ version: string; applied_at: Date }>(
      `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(recorded.map((r) => r.version)).toEqual(['0001_create_items', '0002_add_price', '0010_seed-items']);
    expect(recorded[0]?.applied_at).toBeInstanceOf(Date);
    expect(await tableSchemas(db, 'items')).toEqual([schema]);
    expect(await db.query('SELECT id, name, price FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'lamp', price: 1999 },
      { id: 2, name: 'rug', price: 4999 },
    ]);
    for (const ignored of ['notes_txt', 'short_name', 'backup', 'prefixed']) {
      expect(await tableSchemas(db, ignored)).toEqual([]);
    }

    // second run: nothing to do (re-running 0001 or the seed would fail or duplicate)
    expect(await migrate(db, dir)).toEqual([]);
    expect(await db.query<{ n: number }>('SELECT count(*) AS n FROM items')).toEqual([{ n: 2 }]);
    expect(await db.query(`SELECT count(*) AS n FROM "${schema}".schema_migrations`)).toEqual([{ n: 3 }]);
  });

  it('migrate leaves no partial changes when a migration fails, and applies it once fixed', async () => {
    const schema = schemaName('migfail');
    const db = backend.open(schema);
    const dir = migrationsDir({ '0001_create_items.sql': 'CREATE TABLE items (id integer PRIMARY KEY);' });
    expect(await migrate(db, dir)).toEqual(['0001_create_items']);

    const broken = join(dir, '0002_half_done.sql');
    writeFileSync(
      broken,
      `CREATE TABLE half (id integer);
       INSERT INTO items VALUES (1);
       ALTER TABLE items ADD COLUMN price integer;
       INSERT INTO no_such_table VALUES (1);`,
    );
    await expect(migrate(db, dir)).rejects.toMatchObject({ code: '42P01' });
    expect(await tableSchemas(db, 'half')).toEqual([]);
    expect(await db.query('SELECT * FROM items')).toEqual([]);
    const columns = await db.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, 'items'],
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id']);
    expect(await db.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).toEqual([
      { version: '0001_create_items' },
    ]);

    writeFileSync(broken, 'CREATE TABLE half (id integer); INSERT INTO items VALUES (1);');
    expect(await migrate(db, dir)).toEqual(['0002_half_done']);
    expect(await tableSchemas(db, 'half')).toEqual([schema]);
  });

  it('concurrent migrate() calls on the same schema apply each file once', async () => {
    const schema = schemaName('migrace');
    const dir = migrationsDir({
      '0001_create_log.sql': 'CREATE TABLE applied_log (file text NOT NULL);',
      '0002_log_once.sql': "INSERT INTO applied_log VALUES ('0002');",
      '0003_log_again.sql': "SELECT pg_sleep(0.05); INSERT INTO applied_log VALUES ('0003');",
    });
    // two independent handles: separate pools on postgres, separate views on PGlite
    const handles = [backend.open(schema), backend.open(schema), backend.open(schema)];
    const results = await Promise.all(handles.map((db) => migrate(db, dir)));
    expect(results.flat().sort()).toEqual(['0001_create_log', '0002_log_once', '0003_log_again']);
    const [db] = handles;
    expect(await db!.query('SELECT file FROM applied_log ORDER BY file')).toEqual([{ file: '0002' }, { file: '0003' }]);
    expect(await db!.query(`SELECT count(*) AS n FROM "${schema}".schema_migrations`)).toEqual([{ n: 3 }]);
  });

  it('keeps schemas apart under many interleaved queries and transactions', async () => {
    const dir = migrationsDir({ '0001_create_widgets.sql': 'CREATE TABLE widgets (owner text NOT NULL);' });
    const views = [backend.open(schemaName('iso_a')), backend.open(schemaName('iso_b'))] as const;
    for (const db of views) await migrate(db, dir);
    await Promise.all(views.map((db) => db.query('INSERT INTO widgets VALUES ($1)', [db.schema])));

    const checks: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      for (const db of views) {
        checks.push(
          db
            .query<{ owner: string; here: string }>('SELECT owner, current_schema() AS here FROM widgets')
            .then((rows) => {
              for (const row of rows) expect(row).toEqual({ owner: db.schema, here: db.schema });
            }),
        );
        if (i % 3 === 0) {
          checks.push(
            db.transaction(async (tx) => {
              await tx.query('INSERT INTO widgets VALUES ($1)', [db.schema]);
              await sleep(1); // give the other view every chance to run in between
              const [row] = await tx.query<{ foreign: number; here: string }>(
                'SELECT count(*) FILTER (WHERE owner <> $1) AS foreign, current_schema() AS here FROM widgets',
                [db.schema],
              );
              expect(row).toEqual({ foreign: 0, here: db.schema });
            }),
          );
        }
      }
    }
    await Promise.all(checks);
    for (const db of views) {
      expect(await db.query('SELECT owner, count(*) AS n FROM widgets GROUP BY owner')).toEqual([
        { owner: db.schema, n: 21 },
      ]);
    }
  });

  it('listen() delivers NOTIFY payloads, after commit only, and stops after unsubscribe', async () => {
    const schema = schemaName('notify');
    const db = backend.open(schema);
    const sender = backend.open(schema);
    const channel = 'Outbox_Ready'; // mixed case: the name must be used exactly as given
    const received: string[] = [];
    const unlisten = await db.listen(channel, (payload) => received.push(payload));

    await sender.query('SELECT pg_notify($1, $2)', [channel, 'first']);
    await eventually(() => expect(received).toEqual(['first']));

    await sender
      .transaction(async (tx) => {
        await tx.query('SELECT pg_notify($1, $2)', [channel, 'rolled back']);
        throw new Error('abort');
      })
      .catch(() => {});
    await sender.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'committed']);
    });
    await eventually(() => expect(received).toEqual(['first', 'committed']));

    await unlisten();
    // a witness listening on the same handle gets a notification sent after it in the same transaction:
    // notifications arrive in order, so the one for the unsubscribed channel would have come first
    const witnessed: string[] = [];
    const unwitness = await db.listen(`${channel}_witness`, (payload) => witnessed.push(payload));
    await sender.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'after unlisten']);
      await tx.query('SELECT pg_notify($1, $2)', [`${channel}_witness`, 'witness']);
    });
    await eventually(() => expect(witnessed).toEqual(['witness']));
    await unwitness();
    expect(received).toEqual(['first', 'committed']);
  });

  it('lets a NOTIFY handler use the database', async () => {
    const schema = schemaName('handler');
    const db = backend.open(schema);
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE outbox (id int, sent boolean NOT NULL DEFAULT false)`);
    const handled: unknown[] = [];
    await db.listen('outbox_kick', (payload) => {
      db.query('UPDATE outbox SET sent = true WHERE id = $1 RETURNING id', [Number(payload)]).then(
        (rows) => handled.push(...rows),
        (err: Error) => handled.push(err.message),
      );
    });
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO outbox (id) VALUES (7)');
      await tx.query("SELECT pg_notify('outbox_kick', '7')");
    });
    await eventually(() => expect(handled).toEqual([{ id: 7 }]));
  });

  it('ping() resolves, also when called detached from its object', async () => {
    const db = backend.open(schemaName('ping'));
    await expect(db.ping()).resolves.toBeUndefined();
    const { ping } = db;
    await expect(ping()).resolves.toBeUndefined();
  });
});

describe('PgliteHost', () => {
  it('rejects use of the db inside its own open transaction instead of deadlocking', async () => {
    const schema = schemaName('deadlock');
    const db = host.db(schema);
    const other = host.db(schemaName('deadlock_other'));
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE t (n int)`);
    const misuse: Array<[string, (tx: unknown) => Promise<unknown>]> = [
      ['query', () => db.query('SELECT 1')],
      ['exec', () => db.exec('SELECT 1')],
      ['nested transaction', () => db.transaction(async (tx) => tx.query('SELECT 1'))],
      ['another view', () => other.query('SELECT 1')],
      ['ping', () => db.ping()],
      ['listen', () => db.listen('inside_tx', () => {})],
    ];
    for (const [what, use] of misuse) {
      const attempt = db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        await use(tx);
      });
      await expect(within(attempt, 5000, what), what).rejects.toThrow(/outside the open transaction/);
    }
    // nothing was left locked and nothing from the failed transactions was kept
    expect(await within(db.query('SELECT count(*) AS n FROM t'), 5000, 'query after misuse')).toEqual([{ n: 0 }]);
  });

  it('lets work started inside a transaction use the db once the transaction is over', async () => {
    const db = host.db(schemaName('after_tx'));
    let later: Promise<unknown> | undefined;
    await db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      later = sleep(20).then(() => db.query<{ x: number }>('SELECT 1 AS x'));
    });
    await expect(within(later!, 5000, 'query after the transaction')).resolves.toEqual([{ x: 1 }]);
  });

  it('serves many views of one database, each with its own tables', async () => {
    const a = host.db(schemaName('view_a'));
    const b = host.db(schemaName('view_b'));
    await a.exec(`CREATE SCHEMA ${a.schema}; CREATE TABLE same_name (v text)`);
    await b.exec(`CREATE SCHEMA ${b.schema}; CREATE TABLE same_name (v text)`);
    await Promise.all([a.query("INSERT INTO same_name VALUES ('a')"), b.query("INSERT INTO same_name VALUES ('b')")]);
    expect(await a.query('SELECT v FROM same_name')).toEqual([{ v: 'a' }]);
    expect(await b.query('SELECT v FROM same_name')).toEqual([{ v: 'b' }]);
    await a.close(); // a view's close leaves the shared host open
    expect(await b.query('SELECT v FROM same_name')).toEqual([{ v: 'b' }]);
  });
});

describe('PostgreSQL unreachable', () => {
  it('answers Unavailable (503 DATABASE_UNAVAILABLE) quickly instead of hanging', async () => {
    const db = createPostgresDb({ url: 'postgres://postgres@127.0.0.1:1/nowhere', schema: 'nowhere' });
    try {
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['query', () => db.query('SELECT 1')],
        ['exec', () => db.exec('SELECT 1')],
        ['transaction', () => db.transaction((tx) => tx.query('SELECT 1'))],
        ['ping', () => db.ping()],
        ['listen', () => db.listen('anything', () => {})],
      ];
      for (const [what, attempt] of attempts) {
        const err = await within(attempt(), 10_000, what).catch((e: unknown) => e);
        expect(err, what).toBeInstanceOf(Unavailable);
        expect(err, what).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
      }
    } finally {
      await db.close();
    }
  });

  it('does not turn query errors into Unavailable', async () => {
    const db = backends[0]!.open(schemaName('badsql'));
    const err = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(Unavailable);
    expect(err).toMatchObject({ code: '42P01' });
  });
});

describe('postgres.js with a dead backend (driver patched by patches/postgres+3.4.9.patch)', () => {
  it('a query on a reserved connection whose backend died rejects CONNECTION_CLOSED instead of crashing the process', async () => {
    // unpatched, the query's write runs from a setImmediate on a null socket: an uncaught TypeError
    const sql = postgres(testDb.url, { max: 2, onnotice: () => {} });
    const killer = postgres(testDb.url, { max: 1, onnotice: () => {} });
    try {
      const reserved = await sql.reserve();
      const [{ pid }] = (await reserved`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
      await killer`SELECT pg_terminate_backend(${pid})`;
      await sleep(200); // the client sees the socket close
      const err = await reserved`SELECT 1`.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'CONNECTION_CLOSED' });
      expect(isConnectionError(err)).toBe(true);
      // the pool goes on working (it reconnects the closed connection)
      for (const n of [1, 2, 3]) expect(await sql`SELECT ${n}::int AS n`).toEqual([{ n }]);
    } finally {
      await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
    }
  });
});

describe('postgres.js after a backend died mid-query (patched: porsager/postgres#1223)', () => {
  it("the next query on that connection is answered, not failed with the dead backend's 57P01", async () => {
    // a server restart does this to every busy connection: FATAL 57P01 for the query in flight, then the close;
    // unpatched, the error stayed behind and failed the first query after the reconnect (a 503 after recovery)
    const app = `stale_${randomBytes(3).toString('hex')}`;
    const sql = postgres(testDb.url, { max: 1, onnotice: () => {}, connection: { application_name: app } });
    const killer = postgres(testDb.url, { max: 1, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      const long = sql`SELECT pg_sleep(30)`.then(
        () => undefined,
        (e: unknown) => e,
      );
      await eventually(async () => {
        const [row] = await killer<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = ${app} AND state = 'active'`;
        expect(row?.n).toBe(1);
      });
      await killer`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${app}`;
      expect(isConnectionError(await long)).toBe(true);
      expect(await sql`SELECT 1::int AS one`).toEqual([{ one: 1 }]);
    } finally {
      await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
    }
  });

  it('a connection whose type fetch fails does not crash the process (porsager/postgres#1192)', async () => {
    const unhandled: unknown[] = [];
    const record = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', record);
    // a 1 ms statement_timeout cancels the driver's own pg_type query on every new connection
    const sql = postgres(testDb.url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 1 } });
    try {
      const err = await sql`SELECT 1`.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: '57014' });
      await sleep(200); // an unhandled rejection is reported after the microtasks run out
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      await sql.end({ timeout: 1 });
    }
  });
});

describe('isConnectionError', () => {
  it.each([
    ['refused socket', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['reset socket', { code: 'ECONNRESET' }],
    ['DNS failure', { code: 'ENOTFOUND' }],
    ['network unreachable', { code: 'ENETUNREACH' }],
    ['host down', { code: 'EHOSTDOWN' }],
    ['session ended by idle_session_timeout', { code: '57P05' }],
    ['postgres.js connect timeout', { code: 'CONNECT_TIMEOUT' }],
    ['postgres.js closed connection', { code: 'CONNECTION_CLOSED' }],
    ['SQLSTATE 08006 connection_failure', { code: '08006' }],
    ['SQLSTATE 08001 unable to connect', { code: '08001' }],
    ['admin shutdown', { code: '57P01' }],
    ['cannot connect now (starting up)', { code: '57P03' }],
    ['too many connections', { code: '53300' }],
    ['AggregateError of refused sockets', new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ETIMEDOUT' }])],
  ])('is true for %s', (_what, err) => {
    expect(isConnectionError(err)).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505' }],
    ['undefined table', { code: '42P01' }],
    ['statement timeout', { code: '57014' }],
    ['serialization failure', { code: '40001' }],
    ['plain error', new Error('boom')],
    ['AggregateError of query errors', new AggregateError([{ code: '23505' }])],
    ['null', null],
    ['undefined', undefined],
    ['string', 'ECONNREFUSED'],
    ['kit Unavailable', new Unavailable()],
  ])('is false for %s', (_what, err) => {
    expect(isConnectionError(err)).toBe(false);
  });
});
