// Transactional outbox: events are rows written with the state change; a relay publishes them with confirms and marks them sent.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  type AnyEvent,
  assertValidEvent,
  EVENT_VERSIONS,
  type EventData,
  type EventOf,
  type EventType,
  SECRET_FIELDS,
  validateEvent,
} from '@microbazaar/contracts';
import { pino } from 'pino';
import type { Db, Row, Sql } from '../db.js';
import type { Logger } from '../logger.js';
import { type WakeLoop, wakeLoop } from '../periodic.js';
import { type BusMetrics, noBusMetrics } from './metrics.js';
import { currentEventContext, currentTraceHeaders } from './tracing.js';
import { type Bus, PublishError } from './types.js';

/** The kit's outbox and inbox tables, for migrate(db, dir, { include: [eventsMigrations] }). */
export const eventsMigrations = {
  name: 'kit-events',
  dir: fileURLToPath(new URL('../../migrations/events', import.meta.url)),
} as const;

export interface NewEventOptions {
  /** defaults to the current request's id or the handled event's correlation id */
  correlationId?: string;
  /** defaults to the id of the event being handled, if any */
  causationId?: string;
  id?: string;
  occurredAt?: Date;
}

/** Builds a valid envelope; correlation and causation come from the current context unless given. */
export function newEvent<T extends EventType>(type: T, data: EventData<T>, opts: NewEventOptions = {}): EventOf<T> {
  const ctx = currentEventContext();
  const causationId = opts.causationId ?? ctx?.causationId;
  return {
    id: opts.id ?? randomUUID(),
    type,
    version: EVENT_VERSIONS[type],
    occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
    correlationId: opts.correlationId ?? ctx?.correlationId ?? randomUUID(),
    ...(causationId ? { causationId } : {}),
    data,
  };
}

/** Validates events and appends their outbox rows' parameters to `params`; returns the VALUES rows. */
function outboxValues(events: readonly AnyEvent[], params: unknown[]): string[] {
  for (const event of events) assertValidEvent(event);
  const headers = JSON.stringify(currentTraceHeaders());
  return events.map((event) => {
    params.push(event.id, event.type, JSON.stringify(event), headers);
    const n = params.length;
    return `($${n - 3}::uuid, $${n - 2}::text, $${n - 1}::text::jsonb, $${n}::text::jsonb)`;
  });
}

// The wake-up, delivered by PostgreSQL only if the transaction commits, unless a relay is already
// polling a stream of commits (outbox_wakeup.armed is off).
const WAKE_RELAY = `SELECT pg_notify('outbox_' || current_schema(), '') FROM outbox_wakeup WHERE armed`;

/**
 * Writes events into the outbox of the caller's transaction (validated first: an invalid event
 * fails the transaction). Commit wakes the relay through NOTIFY outbox_<schema>.
 */
export async function enqueueEvents(tx: Sql, events: AnyEvent | readonly AnyEvent[]): Promise<void> {
  const list: readonly AnyEvent[] = Array.isArray(events) ? events : [events as AnyEvent];
  if (list.length === 0) return;
  const params: unknown[] = [];
  const rows = outboxValues(list, params);
  // one statement: the rows and the wake-up
  await tx.query(
    `WITH added AS (INSERT INTO outbox (id, type, payload, headers) VALUES ${rows.join(', ')}) ${WAKE_RELAY}`,
    params,
  );
}

/** A state change written as one statement with its events, for writeWithEvents. */
export interface ChangeStatement {
  /** the change as CTEs, without the leading WITH: `moved AS (UPDATE orders ... RETURNING id), ...` */
  with?: string;
  /** parameters of `with`, `when` and `select` ($1..$n); the events' parameters are appended */
  params: readonly unknown[];
  /** SQL condition over the CTEs: the events are written only when it holds (default: always) */
  when?: string;
  /** select list of the one row returned, over the CTEs, e.g. `(SELECT count(*) FROM moved)::int AS moved` */
  select?: string;
}

/**
 * A state change and its events in ONE statement: the change's CTEs, the outbox rows (only when
 * `when` holds) and the relay's wake-up. A single statement is atomic on its own, so outside a
 * transaction it needs no BEGIN/COMMIT; inside one it saves the separate outbox round trip.
 * Returns the row of `select`.
 */
export async function writeWithEvents<T = Row>(
  sql: Sql,
  change: ChangeStatement,
  events: AnyEvent | readonly AnyEvent[],
): Promise<T> {
  const list: readonly AnyEvent[] = Array.isArray(events) ? events : [events as AnyEvent];
  const params = [...change.params];
  const ctes = change.with ? [change.with] : [];
  const columns = change.select ? [change.select] : [];
  if (list.length > 0) {
    const rows = outboxValues(list, params);
    ctes.push(
      `outbox_added AS (INSERT INTO outbox (id, type, payload, headers)
         SELECT * FROM (VALUES ${rows.join(', ')}) AS e(id, type, payload, headers)
         ${change.when ? `WHERE ${change.when}` : ''} RETURNING 1)`,
    );
    // volatile, so evaluated; counted, so the one row comes back whatever it finds
    columns.push(
      `(SELECT count(*) FROM (${WAKE_RELAY} AND EXISTS (SELECT 1 FROM outbox_added)) AS wake)::int AS "outboxWoken"`,
    );
  }
  if (columns.length === 0) columns.push('1 AS done');
  const [row] = await sql.query<T>(
    `${ctes.length ? `WITH ${ctes.join(', ')} ` : ''}SELECT ${columns.join(', ')}`,
    params,
  );
  return row as T;
}

/** newEvent + enqueueEvents for one event; returns the event written. */
export async function enqueueEvent<T extends EventType>(
  tx: Sql,
  type: T,
  data: EventData<T>,
  opts?: NewEventOptions,
): Promise<EventOf<T>> {
  const event = newEvent(type, data, opts);
  await enqueueEvents(tx, event as AnyEvent);
  return event;
}

export interface OutboxRelayOptions {
  db: Db;
  bus: Bus;
  logger?: Logger;
  metrics?: BusMetrics;
  /** rows claimed, published and confirmed per round (default 500) */
  batchSize?: number;
  /** the periodic sweep that catches rows whose NOTIFY was missed (crash, relay down); default 1000 */
  sweepIntervalMs?: number;
  /** wake up on NOTIFY after each commit (default true) */
  listen?: boolean;
  /** while commits keep coming, poll at this interval instead of being woken by each (default 5) */
  hotPollMs?: number;
  /** sent rows are deleted after this long (default 24 h; 0 keeps them) */
  retentionMs?: number;
}

export interface OutboxRelay {
  /** Asks for a round now (as a NOTIFY does). */
  wake(): void;
  /** Publishes everything pending now; resolves with the number of rows published. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

interface OutboxRow {
  seq: number;
  payload: unknown;
  headers: Record<string, string> | null;
}

/** Removes secret fields (contracts' SECRET_FIELDS) from the outbox copy of events the broker confirmed. */
async function scrubSecrets(
  tx: Sql,
  outgoing: readonly { event: AnyEvent }[],
  confirmedIds: readonly string[],
  bySeq: ReadonlyMap<string, number>,
): Promise<void> {
  const confirmed = new Set(confirmedIds);
  for (const { event } of outgoing) {
    const fields = SECRET_FIELDS[event.type];
    const seq = bySeq.get(event.id);
    if (!fields?.length || seq === undefined || !confirmed.has(event.id)) continue;
    for (const field of fields) {
      await tx.query('UPDATE outbox SET payload = payload #- $2::text[] WHERE seq = $1', [seq, ['data', field]]);
    }
  }
}

/**
 * Starts publishing this service's outbox. Several instances may run against one outbox: each
 * round claims a batch with FOR UPDATE SKIP LOCKED and holds it until the broker confirmed it
 * and the rows are marked sent, so no row is published by two relays at once.
 */
export async function startOutboxRelay(opts: OutboxRelayOptions): Promise<OutboxRelay> {
  const { db, bus } = opts;
  const log = opts.logger ?? pino({ level: 'silent' });
  const metrics = opts.metrics ?? noBusMetrics;
  const batchSize = opts.batchSize ?? 500;
  const sweepIntervalMs = opts.sweepIntervalMs ?? 1000;
  const retentionMs = opts.retentionMs ?? 24 * 3600_000;
  const hotPollMs = opts.hotPollMs ?? 5;
  metrics.trackOutbox(db);

  // assigned once LISTEN is set up; the rounds only run after that
  let runs: WakeLoop | undefined;
  const stopped = () => runs?.stopped === true;
  let failures = 0;
  let lastCleanup = 0;
  let backoff: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  // true while this relay polls on its own and has asked writers to skip the NOTIFY
  let hot = false;

  /**
   * One round: claim and mark sent in one statement, publish, commit; rows that could not be
   * published go back to pending before the commit. Returns how many rows were claimed.
   */
  const round = (): Promise<{ claimed: number; sent: number }> =>
    db.transaction(async (tx) => {
      const rows = await tx.query<OutboxRow>(
        `UPDATE outbox SET sent_at = now()
          WHERE seq IN (SELECT seq FROM outbox WHERE sent_at IS NULL AND available_at <= now()
                         ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING seq, payload, headers`,
        [batchSize],
      );
      if (rows.length === 0) return { claimed: 0, sent: 0 };
      rows.sort((a, b) => Number(a.seq) - Number(b.seq));
      const bySeq = new Map<string, number>();
      const outgoing = [];
      const invalid: { seq: number; reason: string }[] = [];
      for (const row of rows) {
        const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
        const valid = validateEvent(payload);
        if (!valid.ok) {
          invalid.push({ seq: row.seq, reason: valid.reason });
          continue;
        }
        bySeq.set(valid.event.id, row.seq);
        outgoing.push({ event: valid.event, headers: row.headers ?? {} });
      }
      if (invalid.length) {
        // written by an older release with another schema: parked with the reason, never retried
        for (const bad of invalid) {
          log.error({ seq: bad.seq, reason: bad.reason }, 'outbox row is not a valid event, parked');
          await tx.query(
            `UPDATE outbox SET sent_at = NULL, available_at = 'infinity', attempts = attempts + 1, last_error = $2
              WHERE seq = $1`,
            [bad.seq, bad.reason],
          );
        }
      }
      let confirmedIds: readonly string[] = outgoing.map((o) => o.event.id);
      let failure: unknown;
      if (outgoing.length) {
        try {
          await bus.publish(outgoing);
        } catch (err) {
          failure = err;
          confirmedIds = err instanceof PublishError ? err.confirmedIds : [];
        }
      }
      const sentSeqs = confirmedIds.map((id) => bySeq.get(id)).filter((s): s is number => s !== undefined);
      if (sentSeqs.length) {
        const confirmed = new Set(confirmedIds);
        const sentTypes = new Map<string, number>();
        for (const o of outgoing)
          if (confirmed.has(o.event.id)) sentTypes.set(o.event.type, (sentTypes.get(o.event.type) ?? 0) + 1);
        for (const [type, n] of sentTypes) metrics.published(type, n);
      }
      await scrubSecrets(tx, outgoing, confirmedIds, bySeq);
      if (failure) {
        const sent = new Set(sentSeqs);
        const unsent = [...bySeq.values()].filter((s) => !sent.has(s));
        await tx.query(
          'UPDATE outbox SET sent_at = NULL, attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])',
          [unsent, String((failure as Error)?.message ?? failure).slice(0, 1000)],
        );
        // commit the bookkeeping, then let the loop back off
        return { claimed: rows.length, sent: -1 };
      }
      return { claimed: rows.length, sent: sentSeqs.length };
    });

  const cleanup = async () => {
    if (retentionMs <= 0 || Date.now() - lastCleanup < 60_000) return;
    lastCleanup = Date.now();
    await db.query(
      `DELETE FROM outbox WHERE seq IN (
         SELECT seq FROM outbox WHERE sent_at < now() - ($1::bigint * interval '1 millisecond') LIMIT 10000)`,
      [retentionMs],
    );
  };

  /** the LISTEN was renewed since the last failed round */
  let renewed = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        backoff = undefined;
        resolve();
      }, ms);
      backoff = { timer, resolve };
    });

  /**
   * NOTIFY serialises committing transactions, so under load it is switched off: a relay that
   * finds a stream of commits polls every hotPollMs and re-arms the NOTIFY once it finds nothing.
   * A relay that does not LISTEN never touches it.
   */
  const setArmed = async (armed: boolean) => {
    if (!unlisten) return;
    try {
      const changed = await db.query('UPDATE outbox_wakeup SET armed = $1 WHERE armed <> $1 RETURNING armed', [armed]);
      if (changed.length) {
        log.debug({ armed }, armed ? 'outbox relay idle, NOTIFY per commit on' : 'outbox relay polling, NOTIFY off');
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'outbox relay could not switch the commit wake-up');
    }
  };

  const drain = async (): Promise<number> => {
    let published = 0;
    while (!stopped()) {
      let result: { claimed: number; sent: number };
      try {
        result = await round();
      } catch (err) {
        result = { claimed: 0, sent: -1 };
        log.warn({ err: (err as Error).message }, 'outbox round failed');
      }
      if (result.sent < 0) {
        // broker or database trouble: back off, keep the rows pending; never more than a second, so the
        // relay is back within one of the database's return (a LISTEN renewed after it wakes it sooner)
        failures++;
        const delay = Math.min(100 * 2 ** Math.min(failures, 6), 1000);
        if (failures === 1 || failures % 10 === 0) log.warn({ failures, retryInMs: delay }, 'outbox relay backing off');
        // unless the LISTEN was renewed meanwhile: the database is back, try at once
        if (renewed) renewed = false;
        else await pause(delay);
        continue;
      }
      if (failures > 0) log.info({ failures }, 'outbox relay recovered');
      failures = 0;
      renewed = false;
      published += result.sent;
      if (result.claimed === batchSize) continue; // a backlog: straight on
      if (result.claimed > 0) {
        if (!hot) {
          hot = true;
          await setArmed(false);
        }
        await pause(hotPollMs);
        continue;
      }
      if (hot) {
        // quiet again: NOTIFY back on, then look once more for a row committed in between
        hot = false;
        await setArmed(true);
        continue;
      }
      break;
    }
    return published;
  };

  const wake = () => runs?.wake();
  /** The LISTEN was renewed (the database was away): what it notified meanwhile is lost, look now. */
  const catchUp = () => {
    renewed = true;
    if (backoff) {
      clearTimeout(backoff.timer);
      backoff.resolve();
    }
    wake();
  };

  if (opts.listen !== false) {
    unlisten = await db.listen(`outbox_${db.schema}`, () => wake(), catchUp).catch(() => undefined);
    if (!unlisten) log.warn('outbox relay could not LISTEN; relying on the sweep');
    await setArmed(true);
  }
  runs = wakeLoop(async () => {
    await drain();
    await cleanup().catch((err: Error) => log.warn({ err: err.message }, 'outbox cleanup failed'));
  }, sweepIntervalMs);
  const loop = runs;
  loop.wake();

  return {
    wake,
    async flush() {
      await loop.idle();
      return drain();
    },
    async stop() {
      await loop.stop(() => {
        if (backoff) {
          clearTimeout(backoff.timer);
          backoff.resolve();
        }
      });
      if (hot) await setArmed(true);
      await unlisten?.().catch(() => {});
    },
  };
}
