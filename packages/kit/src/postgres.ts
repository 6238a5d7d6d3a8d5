// PostgreSQL through postgres.js, made to fail fast while the database is unreachable and to come back by
// itself, on fresh connections only, as soon as it returns.
//
// postgres.js alone waits: a statement queued behind a reconnect waits out a backoff that grows with every
// failed attempt (to 20 s), one sent on a connection whose server went away without a goodbye waits for an
// answer that never comes, a transaction on such a connection never settles, and a LISTEN lost while the
// database was down is never renewed. Here each pool is one generation of postgres.js connections with:
// - a breaker: an error that means "unreachable" (refused, no route, starting up) or a check that fails
//   turns the database "down": every waiting statement fails with 503 at once, new ones fail before
//   touching the network, and a probe on a fresh connection every `recoveryIntervalMs` brings it back up;
// - a watchdog: a statement unanswered after `suspectAfterMs` makes the pool check, on a fresh connection,
//   that the server answers and that the backend the statement waits on still exists (and the server did
//   not restart under the pool). A statement on a dead connection fails with 503 and the whole generation
//   is retired (healthy statements of it finish): a connection from before an outage is never used after;
// - slow is not gone: a check unanswered within `connectTimeoutMs` fails the server only if a plain TCP
//   connection to its port (asked alongside) did not open either. If it opened, PostgreSQL is alive but
//   slow (on a starved machine it takes over a second to start a connection's backend): the pool logs
//   "PostgreSQL is slow to answer", keeps serving, and waits for the check up to SLOW_PATIENCE (4) ×
//   `connectTimeoutMs` in all; a server that accepts connections and never answers is down after that
//   (a statement on it fails with 503 within about suspectAfterMs + 4 × connectTimeoutMs: 4.5 s by
//   default, where a server that refuses or cannot be reached at all still counts within 2 s). The
//   pool's own connections are given as long to open (a refusal still trips at once), so a slow start
//   does not fail their statement either. Over a Unix socket there is no such test: a check unanswered
//   within `connectTimeoutMs` counts the server down, and the pool's connections keep that limit.
// - LISTEN on a connection of its own per generation, renewed after any loss, with `onReconnect` so the
//   listener can catch up with what was notified meanwhile.

import { connect as tcpConnect } from 'node:net';
import { pino } from 'pino';
import postgres from 'postgres';
import type { Db, Sql } from './db.js';
import { Unavailable } from './errors.js';
import type { Logger } from './logger.js';

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

/** Errors that say the server cannot be reached at all (as opposed to: this connection broke). */
// (A connect timeout is not one of them: a process that stalled for a second sees one too. It makes the
// pool check, on a connection of its own, whether the server answers.)
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  '57P03', // the database system is starting up / shutting down
]);

/**
 * Calls onExpire after `ms` of time in which this process could have noticed an answer: when the timer
 * fires late (the event loop was blocked), the time it lost is given back, so a stall of the process is
 * not taken for silence of the database.
 */
function responsiveTimeout(ms: number, onExpire: () => void): () => void {
  let due = Date.now() + ms;
  let extensions = 0;
  const fire = () => {
    const late = Date.now() - due;
    if (late > 100 && extensions++ < 3) {
      due = Date.now() + late;
      timer = setTimeout(fire, late);
      return;
    }
    onExpire();
  };
  let timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
}

const codeOf = (err: unknown) => String((err as { code?: unknown } | null)?.code ?? '');

/** True when the error means "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = codeOf(err);
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const errors = (err as { errors?: unknown[] }).errors;
  return Array.isArray(errors) && errors.some(isConnectionError);
}

function isUnreachable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (UNREACHABLE_CODES.has(codeOf(err))) return true;
  const errors = (err as { errors?: unknown[] }).errors;
  return Array.isArray(errors) && errors.some(isUnreachable);
}

/**
 * True when PostgreSQL refused a value the request carried: SQLSTATE class 22 (data exception: a NUL
 * character, a number out of range, text that is no valid uuid or date) or 54000 (a value too large
 * to index). The request is wrong, not the service.
 */
export function isDataError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = codeOf(err);
  return /^22[0-9A-Z]{3}$/.test(code) || code === '54000';
}

export function databaseUnavailable(cause?: unknown): Unavailable {
  return new Unavailable('The database is unavailable, try again shortly', 'DATABASE_UNAVAILABLE', cause);
}

/** The Db said the database cannot be reached (now or when this was thrown), directly or as the cause. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof Unavailable && e.code === 'DATABASE_UNAVAILABLE') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The error to hand on: Unavailable for a connection error, the error itself otherwise. */
export function translateDbError(err: unknown): unknown {
  if (err instanceof Unavailable) return err;
  return isConnectionError(err) ? databaseUnavailable(err) : err;
}

export interface PostgresOptions {
  url: string;
  schema: string;
  poolMax?: number;
  applicationName?: string;
  /** the server's statement_timeout for this pool's sessions, ms (0 = none; default 15 000) */
  statementTimeoutMs?: number;
  /** opening a connection may take this long before the server counts as unreachable, ms (default 1000) */
  connectTimeoutMs?: number;
  /**
   * a statement (or a transaction waiting for its connection) unanswered after this makes the pool check
   * the server and the connection, ms (default 500; 0 = no check: a half-open connection then waits for TCP)
   */
  suspectAfterMs?: number;
  /** how often the database is tried while it is unreachable, ms (default 250) */
  recoveryIntervalMs?: number;
  logger?: Logger;
}

type PgQuery = postgres.PendingQuery<postgres.Row[]> & {
  /** postgres.js internals: the backend the query was sent to (null until then) */
  state?: { pid?: number | null } | null;
  cancel(): void;
};

/** One set of postgres.js connections; replaced as a whole when any of them turns out dead. */
interface Generation {
  id: number;
  sql: postgres.Sql;
  /** pg_postmaster_start_time() as the generation first saw it: a new one means the server restarted */
  serverStarted: string | undefined;
  retired: boolean;
  /** its connections are closed (or closing) */
  ended: boolean;
  drainTimer: NodeJS.Timeout | undefined;
  /** LISTEN connection, made when the first channel is listened to */
  listener: postgres.Sql | undefined;
  relistenTimer: NodeJS.Timeout | undefined;
}

/** A statement on its way: the caller's promise, settled by the driver's answer or by the pool giving up on it. */
class Tracked {
  settled = false;
  /** the next time the watchdog asks about it */
  checkAt: number;
  readonly startedAt: number;

  constructor(
    readonly pool: PostgresPool,
    public gen: Generation,
    public query: PgQuery,
    readonly text: string,
    readonly params: readonly unknown[],
    /** part of a transaction: cannot move to another connection */
    readonly inTx: boolean,
    /** a script (simple protocol, no parameters) */
    readonly simple: boolean,
    suspectAfterMs: number,
    private readonly resolve: (rows: postgres.Row[]) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.startedAt = Date.now();
    this.checkAt = this.startedAt + suspectAfterMs;
  }

  answered(rows: postgres.Row[]) {
    if (this.settled) return;
    this.done();
    this.resolve(rows);
  }

  fail(err: unknown) {
    if (this.settled) return;
    this.done();
    this.reject(err);
  }

  private done() {
    this.settled = true;
    this.pool.untrack(this);
  }
}

interface PendingTx {
  gen: Generation;
  startedAt: number;
  checkAt: number;
  /** the connection is reserved and BEGIN was sent */
  begun: boolean;
  fail(err: unknown): void;
  failed: unknown;
}

interface ListenEntry {
  onNotify: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

const DEAD_CHECK_REPEAT_MS = 1000;
/**
 * A server whose port accepts connections but that does not answer within connectTimeoutMs is given this
 * many times connectTimeoutMs in all before it counts as down (a busy PostgreSQL on a starved machine
 * takes over a second to start a connection's backend; a hung one never answers).
 */
const SLOW_PATIENCE = 4;

/**
 * Whether a TCP connection to host:port opens within ms. The kernel accepts it for a PostgreSQL whose
 * processes are too busy to answer yet; a server that is gone refuses it or lets it time out.
 */
function tcpOpens(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (open: boolean) => {
      cancel();
      socket.destroy();
      resolve(open);
    };
    // a stall of this process is not taken for a SYN left unanswered
    const cancel = responsiveTimeout(ms, () => done(false));
    socket.once('connect', () => done(true)).once('error', () => done(false));
  });
}

/** host:port of a URL with a single TCP host; undefined for a Unix socket (`?host=/path`) or several hosts. */
function tcpTarget(url: string): { host: string; port: number } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = (parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname)).replace(/^\[(.*)\]$/, '$1');
  const port = Number(parsed.searchParams.get('port') ?? (parsed.port || 5432));
  if (!host || host.startsWith('/') || host.includes(',') || !Number.isInteger(port)) return undefined;
  return { host, port };
}
const RETIRE_GRACE_S = 30;

/** PostgreSQL through postgres.js: prepared statements, pooled, search_path pinned, outages handled (see top). */
export function createPostgresDb(opts: PostgresOptions): Db {
  assertSchemaName(opts.schema);
  return new PostgresPool(opts).db();
}

class PostgresPool {
  private readonly log: Logger;
  private readonly app: string;
  private readonly suspectAfterMs: number;
  private readonly recoveryIntervalMs: number;
  private readonly connectTimeoutMs: number;
  /** where a TCP connection tells a slow server from a gone one (undefined: a Unix socket) */
  private readonly tcp: { host: string; port: number } | undefined;
  private gen: Generation | undefined;
  private generations = 0;
  private readonly retiring = new Set<Generation>();
  private state: 'up' | 'down' = 'up';
  private lastError: unknown;
  private readonly tracked = new Set<Tracked>();
  private readonly txs = new Set<PendingTx>();
  private watchdog: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** a check caused by a broken connection: new statements wait for its verdict */
  private verifying: Promise<void> | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private readonly channels = new Map<string, Set<ListenEntry>>();
  private closed = false;

  constructor(private readonly opts: PostgresOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.app = opts.applicationName ?? opts.schema;
    this.suspectAfterMs = opts.suspectAfterMs ?? 500;
    this.recoveryIntervalMs = opts.recoveryIntervalMs ?? 250;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
    this.tcp = tcpTarget(opts.url);
    this.gen = this.newGeneration(undefined);
  }

  // ---- generations -------------------------------------------------------------------------------------

  private options(extra: Partial<postgres.Options<Record<string, postgres.PostgresType>>> = {}) {
    return {
      // with the watchdog on, a connection slow to open is its business (a slow server is waited for, a
      // gone one trips the breaker): the pool's own limit only has to end a hopeless attempt
      connect_timeout:
        (this.suspectAfterMs > 0 && this.tcp ? this.connectTimeoutMs * SLOW_PATIENCE : this.connectTimeoutMs) / 1000,
      // postgres.js waits up to 20 s before reconnecting after repeated failures; the breaker paces retries here
      backoff: (retries: number) => Math.min(0.02 * 2 ** retries, 0.25),
      keep_alive: 5,
      onnotice: () => {},
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
      ...extra,
      connection: {
        search_path: `"${this.opts.schema}", public`,
        application_name: this.app,
        statement_timeout: this.opts.statementTimeoutMs ?? 15_000,
        ...extra.connection,
      },
    };
  }

  private newGeneration(serverStarted: string | undefined): Generation {
    return {
      id: ++this.generations,
      sql: postgres(
        this.opts.url,
        this.options({ max: this.opts.poolMax ?? 10, idle_timeout: 60, max_lifetime: 1800 }),
      ),
      serverStarted,
      retired: false,
      ended: false,
      drainTimer: undefined,
      listener: undefined,
      relistenTimer: undefined,
    };
  }

  /** The generation to use now; fails at once while the database is down. */
  private async current(): Promise<Generation> {
    if (this.closed) throw new Error('the database pool is closed');
    if (this.verifying) await this.verifying;
    if (this.state === 'down' || !this.gen) throw databaseUnavailable(this.lastError);
    return this.gen;
  }

  /**
   * Stops using a generation: statements never sent move to the next one, those on dead connections fail,
   * the others may finish (the pool ends after a grace period).
   */
  private retire(gen: Generation, why: string, dead: (t: Tracked) => boolean) {
    if (gen.retired) return;
    gen.retired = true;
    if (this.gen === gen) this.gen = this.state === 'up' ? this.newGeneration(gen.serverStarted) : undefined;
    this.log.warn({ generation: gen.id, why }, 'PostgreSQL connections dropped; new statements use fresh ones');
    for (const t of [...this.tracked]) {
      if (t.gen !== gen || t.settled) continue;
      if (!t.inTx && !t.query.state && this.gen) this.move(t, this.gen);
      else if (dead(t) || !t.query.state) t.fail(databaseUnavailable(this.lastError));
    }
    for (const tx of [...this.txs]) if (tx.gen === gen && !tx.begun) tx.fail(databaseUnavailable(this.lastError));
    this.stopListener(gen);
    this.retiring.add(gen);
    // what still runs on it may finish (within a grace period); then its connections are closed
    gen.drainTimer = setTimeout(() => this.endGeneration(gen), RETIRE_GRACE_S * 1000);
    gen.drainTimer.unref();
    this.maybeEnd(gen);
    if (this.gen) this.relisten(this.gen, 0);
  }

  /** Ends a retired generation once nothing runs on it any more. */
  private maybeEnd(gen: Generation) {
    if (!gen.retired || gen.ended) return;
    for (const t of this.tracked) if (t.gen === gen) return;
    for (const tx of this.txs) if (tx.gen === gen) return;
    this.endGeneration(gen);
  }

  private endGeneration(gen: Generation) {
    if (gen.ended) return;
    gen.ended = true;
    gen.retired = true;
    if (gen.drainTimer) clearTimeout(gen.drainTimer);
    this.stopListener(gen);
    void gen.sql
      .end({ timeout: 0 })
      .catch(() => {})
      .finally(() => this.retiring.delete(gen));
  }

  /** A statement that never reached a connection runs on the next generation instead. */
  private move(t: Tracked, to: Generation) {
    const old = t.query;
    old.cancel();
    old.catch(() => {});
    t.gen = to;
    t.query = (
      t.simple
        ? to.sql.unsafe(t.text)
        : to.sql.unsafe(t.text, t.params as postgres.ParameterOrJSON<never>[], { prepare: true })
    ) as PgQuery;
    this.follow(t);
  }

  // ---- the breaker --------------------------------------------------------------------------------------

  /** The database cannot be reached: fail everything waiting, refuse new work, try again every interval. */
  private trip(err: unknown) {
    this.lastError = err;
    if (this.state === 'down') return;
    this.state = 'down';
    this.log.warn(
      { err: (err as Error)?.message ?? String(err), code: codeOf(err) },
      'PostgreSQL unreachable: statements fail at once until it is back',
    );
    const gen = this.gen;
    this.gen = undefined;
    const unavailable = databaseUnavailable(err);
    for (const t of [...this.tracked]) t.fail(unavailable);
    for (const tx of [...this.txs]) tx.fail(unavailable);
    for (const g of [gen, ...this.retiring]) if (g) this.endGeneration(g);
    this.scheduleRecovery();
  }

  private scheduleRecovery() {
    if (this.recoveryTimer || this.closed) return;
    this.recoveryTimer = setTimeout(async () => {
      this.recoveryTimer = undefined;
      if (this.closed || this.state === 'up') return;
      try {
        const [row] = await this.probe<{ started: string }>('SELECT pg_postmaster_start_time()::text AS started');
        if (this.closed) return;
        this.state = 'up';
        this.lastError = undefined;
        this.gen = this.newGeneration(row?.started);
        this.log.info({ generation: this.gen.id }, 'PostgreSQL is back');
        this.relisten(this.gen, 0);
      } catch (err) {
        this.lastError = err;
        this.scheduleRecovery();
      }
    }, this.recoveryIntervalMs);
    this.recoveryTimer.unref();
  }

  /** A connection broke: unreachable → down; otherwise check the server and the other connections. */
  private suspect(gen: Generation, err: unknown) {
    if (this.state === 'down' || gen.retired) return;
    if (isUnreachable(err)) {
      this.trip(err);
      return;
    }
    this.lastError = err;
    if (this.verifying) return;
    // after a check already under way (it may have been asked without knowing a connection broke)
    const verdict = (this.checking ?? Promise.resolve())
      .then(() => this.check(true))
      .finally(() => {
        if (this.verifying === verdict) this.verifying = undefined;
      });
    this.verifying = verdict;
  }

  /**
   * Asks a fresh connection whether the server answers, whether it restarted under the current generation,
   * and whether the backends the slow statements wait on still exist. One check at a time.
   */
  private check(broken = false): Promise<void> {
    this.checking ??= (async () => {
      const gen = this.gen;
      if (!gen || this.state === 'down') return;
      const now = Date.now();
      const asked = [...this.tracked].filter((t) => !t.settled && t.checkAt <= now);
      const pids = [...new Set(asked.map((t) => t.query.state?.pid).filter((p): p is number => typeof p === 'number'))];
      let row: { started: string; alive: string } | undefined;
      try {
        // as text both ways: the probe's connection does not fetch array types
        [row] = await this.probe<{ started: string; alive: string }>(
          `SELECT pg_postmaster_start_time()::text AS started,
                  array_to_string(ARRAY(SELECT pid FROM pg_stat_activity
                         WHERE pid = ANY(string_to_array($1::text, ',')::int[])), ',') AS alive`,
          [pids.join(',')],
        );
      } catch (err) {
        // an answer, even an error (too many connections included), means the server is there
        if (isConnectionError(err) && codeOf(err) !== '53300') this.trip(err);
        else this.log.warn({ err: (err as Error).message }, 'PostgreSQL connection check failed');
        return;
      }
      if (!row) return;
      gen.serverStarted ??= row.started;
      if (row.started !== gen.serverStarted) {
        // every connection of the generation is to a server process that is gone
        this.retire(gen, 'the server restarted', () => true);
        for (const g of this.retiring) {
          for (const t of this.tracked) if (t.gen === g && !t.settled) t.fail(databaseUnavailable());
        }
        if (this.gen) this.gen.serverStarted = row.started;
        return;
      }
      const alive = new Set(row.alive ? row.alive.split(',').map(Number) : []);
      const askedPids = new Set(pids);
      const dead = (t: Tracked) => {
        const pid = t.query.state?.pid;
        return typeof pid === 'number' && askedPids.has(pid) && !alive.has(pid);
      };
      const deadGens = new Set<Generation>();
      for (const t of asked) {
        if (t.settled) continue;
        if (dead(t)) {
          deadGens.add(t.gen);
          t.fail(databaseUnavailable(new Error('the connection died: its server backend is gone')));
        } else {
          t.checkAt = Date.now() + DEAD_CHECK_REPEAT_MS;
        }
      }
      for (const g of deadGens) this.retire(g, 'a connection died without a word', dead);
      if (broken && !deadGens.has(gen) && this.gen === gen) {
        // a connection of it broke: the others may have too (the server restarted); start afresh
        this.retire(gen, 'a connection broke', dead);
      }
      for (const tx of this.txs) if (!tx.begun && tx.checkAt <= now) tx.checkAt = Date.now() + DEAD_CHECK_REPEAT_MS;
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /**
   * One statement on a connection of its own. Unanswered within connectTimeoutMs, the server counts as
   * unreachable (CONNECT_TIMEOUT) unless a TCP connection to it opened meanwhile: then it is alive but slow
   * (a busy PostgreSQL on a starved machine takes over a second to start a backend), and the statement is
   * waited for up to SLOW_PATIENCE × connectTimeoutMs in all before the server counts as down after all.
   */
  private async probe<T>(text: string, params: unknown[] = []): Promise<T[]> {
    // within the 2 s: a statement found slow after suspectAfterMs is failed by the time this ends
    const budget = this.connectTimeoutMs;
    const patience = this.tcp ? budget * SLOW_PATIENCE : budget;
    const sql = postgres(
      this.opts.url,
      this.options({
        max: 1,
        fetch_types: false,
        backoff: () => 0,
        connect_timeout: (patience * 3) / 1000, // the limits below decide, stalls of this process discounted
        connection: { application_name: `${this.app}:probe`, statement_timeout: patience },
      }),
    );
    // asked at once, so that its answer is in by the time the budget is out (a gone host lets it time out)
    const tcpOpen = this.tcp ? tcpOpens(this.tcp.host, this.tcp.port, budget) : undefined;
    const answer = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]) as unknown as Promise<T[]>;
    answer.catch(() => {});
    const silence = Symbol('silence');
    const within = async (ms: number) => {
      let cancel: (() => void) | undefined;
      try {
        return await Promise.race([
          answer,
          new Promise<typeof silence>((resolve) => {
            cancel = responsiveTimeout(ms, () => resolve(silence));
          }),
        ]);
      } finally {
        cancel?.();
      }
    };
    try {
      const first = await within(budget);
      if (first !== silence) return first;
      if (!tcpOpen || !(await tcpOpen)) {
        throw Object.assign(new Error('the database did not answer'), { code: 'CONNECT_TIMEOUT' });
      }
      this.log.warn(
        { waitedMs: budget, patienceMs: patience },
        'PostgreSQL is slow to answer (its port accepts connections): waiting longer before counting it down',
      );
      const second = await within(patience - budget);
      if (second !== silence) {
        this.log.info('PostgreSQL answered, slowly');
        return second;
      }
      throw Object.assign(new Error('the database accepts connections but did not answer'), {
        code: 'CONNECT_TIMEOUT',
      });
    } finally {
      void sql.end({ timeout: 0 }).catch(() => {});
    }
  }

  // ---- statements ---------------------------------------------------------------------------------------

  private startWatchdog() {
    if (this.watchdog || this.suspectAfterMs <= 0) return;
    this.watchdog = setInterval(
      () => {
        if (this.tracked.size === 0 && this.txs.size === 0) {
          clearInterval(this.watchdog);
          this.watchdog = undefined;
          return;
        }
        const now = Date.now();
        const due =
          [...this.tracked].some((t) => !t.settled && t.checkAt <= now) ||
          [...this.txs].some((tx) => !tx.begun && tx.checkAt <= now);
        if (due) void this.check();
      },
      Math.max(50, Math.min(250, this.suspectAfterMs / 2)),
    );
    this.watchdog.unref();
  }

  private follow(t: Tracked) {
    const query = t.query;
    query.then(
      (rows) => {
        if (t.query === query) t.answered(rows as unknown as postgres.Row[]);
      },
      (err: unknown) => {
        if (t.query !== query || t.settled) return;
        if (isConnectionError(err)) this.suspect(t.gen, err);
        t.fail(translateDbError(err));
      },
    );
  }

  untrack(t: Tracked) {
    this.tracked.delete(t);
    if (t.gen.retired) this.maybeEnd(t.gen);
  }

  /** Runs one statement on `runner` (the pool or a transaction's connection), watched. */
  private statement<T>(
    gen: Generation,
    runner: postgres.Sql | postgres.ReservedSql,
    text: string,
    params: readonly unknown[],
    inTx: boolean,
    simple = false,
  ): Promise<T[]> {
    const query = (
      simple ? runner.unsafe(text) : runner.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })
    ) as PgQuery;
    return new Promise<T[]>((resolve, reject) => {
      const t = new Tracked(
        this,
        gen,
        query,
        text,
        params,
        inTx,
        simple,
        this.suspectAfterMs,
        resolve as (rows: postgres.Row[]) => void,
        reject,
      );
      this.tracked.add(t);
      if (!this.watchdog) this.startWatchdog();
      this.follow(t);
    });
  }

  /** The current generation when nothing stands in the way (the common case, without an await). */
  private ready(): Generation | undefined {
    return this.verifying || this.state !== 'up' || this.closed ? undefined : this.gen;
  }

  query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const gen = this.ready();
    if (gen) return this.statement<T>(gen, gen.sql, text, params, false);
    return this.current().then((g) => this.statement<T>(g, g.sql, text, params, false));
  }

  async exec(script: string): Promise<void> {
    const gen = await this.current();
    await this.statement(gen, gen.sql, script, [], false, true);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const gen = await this.current();
    let fail: (err: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    failed.catch(() => {});
    const now = Date.now();
    const pending: PendingTx = {
      gen,
      startedAt: now,
      checkAt: now + this.suspectAfterMs,
      begun: false,
      failed: undefined,
      fail: (err) => {
        if (pending.failed) return;
        pending.failed = err;
        fail(err);
      },
    };
    this.txs.add(pending);
    this.startWatchdog();
    try {
      return await Promise.race([failed, this.runTransaction(pending, fn)]);
    } finally {
      this.txs.delete(pending);
      if (gen.retired) this.maybeEnd(gen);
    }
  }

  private async runTransaction<T>(pending: PendingTx, fn: (tx: Sql) => Promise<T>): Promise<T> {
    const { gen } = pending;
    let reserved: postgres.ReservedSql;
    try {
      reserved = await gen.sql.reserve();
    } catch (err) {
      if (isConnectionError(err)) this.suspect(gen, err);
      throw translateDbError(err);
    }
    if (pending.failed) {
      // given up on while waiting for the connection: nothing ran
      reserved.release();
      throw pending.failed;
    }
    let broken = false;
    const run = async (text: string, params: readonly unknown[], simple = false) => {
      if (pending.failed) throw pending.failed;
      try {
        return await this.statement<postgres.Row>(gen, reserved, text, params, true, simple);
      } catch (err) {
        if (err instanceof Unavailable) broken = true;
        throw err;
      }
    };
    const tx: Sql = {
      query: <R>(text: string, params: readonly unknown[] = []) => run(text, params) as Promise<R[]>,
      exec: async (script: string) => {
        await run(script, [], true);
      },
    };
    try {
      await run('BEGIN', [], true);
      pending.begun = true;
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        if (!broken && !pending.failed) await run('ROLLBACK', [], true).catch(() => {});
        throw err;
      }
      await run('COMMIT', [], true);
      return result;
    } finally {
      // a connection that broke is not handed back: its generation is being retired
      if (!broken && !pending.failed) reserved.release();
    }
  }

  // ---- LISTEN -------------------------------------------------------------------------------------------

  private listenerFor(gen: Generation): postgres.Sql {
    gen.listener ??= postgres(
      this.opts.url,
      this.options({
        max: 1,
        idle_timeout: 0,
        max_lifetime: 0,
        fetch_types: false,
        backoff: () => 0,
        connection: { application_name: `${this.app}:listen` },
        onnotify: (channel: string, payload: string) => {
          for (const entry of this.channels.get(channel) ?? []) entry.onNotify(payload);
        },
        onclose: () => {
          if (!gen.retired && !this.closed) this.relisten(gen, this.recoveryIntervalMs);
        },
      } as unknown as Partial<postgres.Options<Record<string, postgres.PostgresType>>>),
    );
    return gen.listener;
  }

  private async listenAll(gen: Generation, channels: readonly string[]) {
    const sql = this.listenerFor(gen);
    for (const channel of channels) await sql.unsafe(`LISTEN "${channel}"`);
  }

  /** LISTENs again for every channel (after a loss or on a new generation), then tells the listeners. */
  private relisten(gen: Generation, delayMs: number) {
    if (this.channels.size === 0 || gen.relistenTimer || gen.retired) return;
    gen.relistenTimer = setTimeout(async () => {
      gen.relistenTimer = undefined;
      if (gen.retired || this.closed || this.channels.size === 0) return;
      try {
        await this.listenAll(gen, [...this.channels.keys()]);
      } catch (err) {
        if (isConnectionError(err)) this.suspect(gen, err);
        if (!gen.retired) this.relisten(gen, this.recoveryIntervalMs);
        return;
      }
      this.log.info({ channels: [...this.channels.keys()] }, 'PostgreSQL LISTEN renewed');
      for (const entries of this.channels.values()) for (const e of entries) e.onReconnect?.();
    }, delayMs);
    gen.relistenTimer.unref();
  }

  private stopListener(gen: Generation) {
    if (gen.relistenTimer) clearTimeout(gen.relistenTimer);
    gen.relistenTimer = undefined;
    const listener = gen.listener;
    gen.listener = undefined;
    if (listener) void listener.end({ timeout: 0 }).catch(() => {});
  }

  async listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    if (channel.includes('"')) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
    const gen = await this.current();
    const entry: ListenEntry = { onNotify, onReconnect };
    let entries = this.channels.get(channel);
    const first = !entries;
    if (!entries) {
      entries = new Set();
      this.channels.set(channel, entries);
    }
    entries.add(entry);
    if (first) {
      try {
        await this.listenAll(gen, [channel]);
      } catch (err) {
        entries.delete(entry);
        if (entries.size === 0) this.channels.delete(channel);
        if (isConnectionError(err)) this.suspect(gen, err);
        throw translateDbError(err);
      }
    }
    return async () => {
      if (!entries.delete(entry) || entries.size > 0) return;
      this.channels.delete(channel);
      const listener = this.gen?.listener;
      if (listener) await listener.unsafe(`UNLISTEN "${channel}"`).catch(() => {});
    };
  }

  // ---- the Db -------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    this.closed = true;
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const g of this.retiring) this.endGeneration(g);
    const gen = this.gen;
    this.gen = undefined;
    if (gen) {
      gen.retired = gen.ended = true;
      this.stopListener(gen);
      await gen.sql.end({ timeout: 5 }).catch(() => {});
    }
  }

  db(): Db {
    return {
      kind: 'postgres',
      schema: this.opts.schema,
      query: (text, params) => this.query(text, params),
      exec: (script) => this.exec(script),
      transaction: (fn) => this.transaction(fn),
      listen: (channel, onNotify, onReconnect) => this.listen(channel, onNotify, onReconnect),
      ping: async () => {
        await this.query('select 1');
      },
      close: () => this.close(),
    };
  }
}
