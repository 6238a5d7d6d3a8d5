// Inbox: a consumer records each handled event id in the handler's own transaction, so a redelivery is skipped.
import type { EventOf, EventType } from '@microbazaar/contracts';
import { type Context, context } from '@opentelemetry/api';
import type { Db, Sql } from '../db.js';
import type { Logger } from '../logger.js';
import { currentEventContext, type EventContext, runWithEventContext } from './tracing.js';
import type {
  Bus,
  Delivery,
  DeliveryHandler,
  HandlerOutcome,
  MaybeOutcome,
  SubscribeOptions,
  Subscription,
} from './types.js';

export interface HandlerContext {
  /** logger carrying correlationId, eventId, eventType, queue, attempt */
  log: Logger;
  attempt: number;
  queue: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * Runs inside the inbox transaction: write through `tx` only, so the effect, the inbox row and
 * any events enqueued with enqueueEvents(tx, ...) commit together or not at all.
 */
export type EventHandler<T extends EventType> = (
  tx: Sql,
  event: EventOf<T>,
  ctx: HandlerContext,
) => Promise<MaybeOutcome>;

export type EventHandlers = { [T in EventType]?: EventHandler<T> };

/** The inbox row of the event a fast path handles, as SQL for its one statement. */
export interface InboxStatement {
  /** SQL condition: the event is not in this consumer's inbox yet (part of the step's guard) */
  unseen: string;
  /** the inbox row as a CTE named `inbox_claim`, written only when `when` (SQL over the step's CTEs) holds */
  claim(when: string): string;
}

export interface FastPathContext extends HandlerContext {
  /** Appends the inbox row's parameters to the statement's `params`; returns the SQL that uses them. */
  inbox(params: unknown[]): InboxStatement;
}

/**
 * A saga step as ONE statement on the pool, no transaction: the guarded change, the inbox row
 * (`ctx.inbox`, written only with the change) and the events (writeWithEvents). The guard must
 * include `unseen` and fail for a repeated or concurrent copy of the event (a status the change
 * moves away from, so a second copy finds nothing to change). Resolves with the outcome when the
 * change was made, or undefined when the guard did not hold: the transactional handler then runs
 * as usual and decides (duplicate, skip, or the change).
 */
export type FastEventHandler<T extends EventType> = (
  sql: Sql,
  event: EventOf<T>,
  ctx: FastPathContext,
) => Promise<HandlerOutcome | undefined>;

export type FastEventHandlers = { [T in EventType]?: FastEventHandler<T> };

export interface InboxOptions {
  /**
   * Deliveries waiting at the same moment are handled in one transaction, up to this many
   * (default 1: a transaction per event). A batch whose transaction fails is re-run one event
   * per transaction, so only the failing event is retried. Worth it for handlers that only write
   * to the database; keep 1 for handlers that call other systems or hold contended locks.
   */
  maxBatch?: number;
  /**
   * One-statement versions of some handlers, tried first (see FastEventHandler): the common case
   * of a step then costs one statement instead of BEGIN, the inbox row, the step and COMMIT.
   */
  fastPaths?: FastEventHandlers;
  /**
   * Handled-event rows older than this are deleted (default 7 days; 0 keeps them). A duplicate
   * comes from a redelivery or an outbox row republished after a crash, minutes later at most,
   * so a week leaves a wide margin while the table stays small.
   */
  retentionMs?: number;
}

export const DEFAULT_INBOX_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 5000;

/** Deletes this consumer's inbox rows older than the retention, a batch at a time. */
export async function pruneInbox(db: Db, consumer: string, retentionMs: number): Promise<number> {
  const rows = await db.query(
    `DELETE FROM inbox WHERE consumer = $1 AND event_id IN (
       SELECT event_id FROM inbox WHERE consumer = $1 AND handled_at < now() - make_interval(secs => $2::double precision / 1000)
       LIMIT ${PRUNE_BATCH}) RETURNING event_id`,
    [consumer, retentionMs],
  );
  return rows.length;
}

/** Runs pruneInbox at most every ten minutes, piggybacking on deliveries, never failing one. */
function inboxPruner(db: Db, consumer: string, retentionMs: number): (log: () => Logger) => void {
  let last = Date.now();
  let running = false;
  return (log) => {
    if (retentionMs <= 0 || running || Date.now() - last < PRUNE_EVERY_MS) return;
    last = Date.now();
    running = true;
    pruneInbox(db, consumer, retentionMs)
      .then((n) => n && log().debug({ pruned: n, consumer }, 'old inbox rows deleted'))
      .catch((err: unknown) => log().warn({ err: (err as Error).message, consumer }, 'inbox pruning failed'))
      .finally(() => {
        running = false;
      });
  };
}

const DUPLICATE: HandlerOutcome = { status: 'skipped', reason: 'duplicate' };

function outcomeText(outcome: HandlerOutcome): string | undefined {
  if (outcome.status === 'handled' && !outcome.reason) return undefined;
  return `${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}`.slice(0, 500);
}

interface Waiting {
  delivery: Delivery;
  handler: EventHandler<EventType>;
  /** the delivery's correlation and trace context, re-entered for its handler inside a batch */
  events: EventContext | undefined;
  otel: Context;
  resolve: (outcome: HandlerOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Wraps handlers by event type: the transaction first claims the event id in `inbox` (a
 * duplicate, even one being handled concurrently, comes back `skipped`), then runs the handler.
 * The bus acks only after this resolves, i.e. after the commit.
 */
export function inboxHandler(
  db: Db,
  consumer: string,
  handlers: EventHandlers,
  opts: InboxOptions = {},
): DeliveryHandler {
  const transactional = transactionalInbox(db, consumer, handlers, opts);
  const fastPaths = opts.fastPaths;
  const prune = inboxPruner(db, consumer, opts.retentionMs ?? DEFAULT_INBOX_RETENTION_MS);
  if (!fastPaths) {
    return (delivery) => {
      prune(() => delivery.log);
      return transactional(delivery);
    };
  }
  return async (delivery) => {
    prune(() => delivery.log);
    const fast = fastPaths[delivery.event.type] as FastEventHandler<EventType> | undefined;
    if (fast && handlers[delivery.event.type]) {
      const outcome = await fast(db, delivery.event as EventOf<EventType>, fastPathContext(consumer, delivery));
      if (outcome) return outcome;
    }
    return transactional(delivery);
  };
}

function fastPathContext(consumer: string, delivery: Delivery): FastPathContext {
  const { event } = delivery;
  return {
    get log() {
      return delivery.log;
    },
    attempt: delivery.attempt,
    queue: delivery.queue,
    headers: delivery.headers,
    inbox(params) {
      params.push(consumer, event.id, event.type);
      const n = params.length;
      const [c, id, type] = [`$${n - 2}::text`, `$${n - 1}::uuid`, `$${n}::text`];
      return {
        unseen: `NOT EXISTS (SELECT 1 FROM inbox WHERE consumer = ${c} AND event_id = ${id})`,
        claim: (when) =>
          `inbox_claim AS (INSERT INTO inbox (consumer, event_id, event_type) SELECT ${c}, ${id}, ${type}
             WHERE ${when} ON CONFLICT DO NOTHING RETURNING 1)`,
      };
    },
  };
}

/** The inbox with a transaction per event, or per batch of waiting deliveries. */
function transactionalInbox(db: Db, consumer: string, handlers: EventHandlers, opts: InboxOptions): DeliveryHandler {
  const maxBatch = Math.max(1, opts.maxBatch ?? 1);
  const handlerFor = (delivery: Delivery) => handlers[delivery.event.type] as EventHandler<EventType> | undefined;
  const run = (delivery: Delivery, handler: EventHandler<EventType>, tx: Sql) =>
    handler(tx, delivery.event as EventOf<EventType>, {
      // read on use: the delivery's child logger is only made for a handler that logs
      get log() {
        return delivery.log;
      },
      attempt: delivery.attempt,
      queue: delivery.queue,
      headers: delivery.headers,
    });

  const one = (delivery: Delivery, handler: EventHandler<EventType>): Promise<HandlerOutcome> =>
    db.transaction(async (tx) => {
      const { event } = delivery;
      const claimed = await tx.query(
        `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, event.id, event.type],
      );
      if (claimed.length === 0) {
        delivery.log.info('event already handled, skipped');
        return DUPLICATE;
      }
      const outcome = (await run(delivery, handler, tx)) ?? { status: 'handled' };
      const text = outcomeText(outcome);
      if (text) {
        await tx.query('UPDATE inbox SET outcome = $3 WHERE consumer = $1 AND event_id = $2', [
          consumer,
          event.id,
          text,
        ]);
      }
      return outcome;
    });

  if (maxBatch === 1) {
    return async (delivery) => {
      const handler = handlerFor(delivery);
      if (!handler) return { status: 'skipped', reason: `no handler for ${delivery.event.type}` };
      return one(delivery, handler);
    };
  }

  const batchOf = async (batch: Waiting[]): Promise<HandlerOutcome[]> =>
    db.transaction(async (tx) => {
      const params: unknown[] = [consumer];
      const values = batch.map(({ delivery }) => {
        params.push(delivery.event.id, delivery.event.type);
        return `($1, $${params.length - 1}::uuid, $${params.length})`;
      });
      const rows = await tx.query<{ event_id: string }>(
        `INSERT INTO inbox (consumer, event_id, event_type) VALUES ${values.join(', ')}
         ON CONFLICT DO NOTHING RETURNING event_id`,
        params,
      );
      const claimed = new Set(rows.map((r) => r.event_id.toLowerCase()));
      const outcomes: HandlerOutcome[] = [];
      for (const item of batch) {
        const id = item.delivery.event.id.toLowerCase();
        if (!claimed.delete(id)) {
          // already handled, or a second copy within this batch
          item.delivery.log.info('event already handled, skipped');
          outcomes.push(DUPLICATE);
          continue;
        }
        const outcome =
          (await context.with(item.otel, () =>
            item.events
              ? runWithEventContext(item.events, () => run(item.delivery, item.handler, tx))
              : run(item.delivery, item.handler, tx),
          )) ?? ({ status: 'handled' } as const);
        const text = outcomeText(outcome);
        if (text) {
          await tx.query('UPDATE inbox SET outcome = $3 WHERE consumer = $1 AND event_id = $2', [
            consumer,
            item.delivery.event.id,
            text,
          ]);
        }
        outcomes.push(outcome);
      }
      return outcomes;
    });

  const settle = (item: Waiting) => one(item.delivery, item.handler).then(item.resolve, item.reject);

  const runBatch = async (batch: Waiting[]) => {
    if (batch.length === 1) return settle(batch[0] as Waiting);
    let outcomes: HandlerOutcome[];
    try {
      outcomes = await batchOf(batch);
    } catch {
      // someone in the batch failed (or the commit did): each alone, so only the failing one retries
      await Promise.all(batch.map(settle));
      return;
    }
    for (const [i, item] of batch.entries()) item.resolve(outcomes[i] as HandlerOutcome);
  };

  let waiting: Waiting[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const all = waiting;
    waiting = [];
    for (let i = 0; i < all.length; i += maxBatch) void runBatch(all.slice(i, i + maxBatch));
  };

  return (delivery) => {
    const handler = handlerFor(delivery);
    if (!handler) return Promise.resolve({ status: 'skipped', reason: `no handler for ${delivery.event.type}` });
    return new Promise<HandlerOutcome>((resolve, reject) => {
      waiting.push({ delivery, handler, events: currentEventContext(), otel: context.active(), resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}

export interface SubscribeWithInboxOptions extends Omit<SubscribeOptions, 'handler' | 'bindings'>, InboxOptions {
  bus: Bus;
  db: Db;
  handlers: EventHandlers;
  /** defaults to the handled types; give patterns to bind wider */
  bindings?: readonly string[];
  /** inbox key; defaults to the queue name */
  consumer?: string;
}

/** Subscribes a service's typed handlers to its queue through the inbox. */
export function subscribeWithInbox(opts: SubscribeWithInboxOptions): Promise<Subscription> {
  const { bus, db, handlers, consumer, bindings, maxBatch, fastPaths, retentionMs, ...rest } = opts;
  return bus.subscribe({
    ...rest,
    bindings: bindings ?? Object.keys(handlers),
    handler: inboxHandler(db, consumer ?? opts.queue, handlers, {
      ...(maxBatch === undefined ? {} : { maxBatch }),
      ...(fastPaths === undefined ? {} : { fastPaths }),
      ...(retentionMs === undefined ? {} : { retentionMs }),
    }),
  });
}
