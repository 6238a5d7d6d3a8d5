// Inbox: a consumer records each handled event id in the handler's own transaction, so a redelivery is skipped.
import type { AnyEvent, EventOf, EventType } from '@microbazaar/contracts';
import { type Context, context } from '@opentelemetry/api';
import { type Db, isDatabaseUnavailable, type Row, type Sql } from '../db.js';
import type { Logger } from '../logger.js';
import type { BusMetrics } from './metrics.js';
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
  /**
   * Runs `effect` once this event's change is committed, never for a change rolled back, a fast path
   * that fell back or a duplicate: a live push, a dispatcher's wake-up, a call to a payment provider.
   * Effects run in the order given, before the delivery is acked (so prefetch bounds them too); one
   * that fails is logged and the event stays handled (a redelivery would be skipped as a duplicate),
   * so an effect that must happen needs its own retry (a lease, a sweep).
   */
  afterCommit(effect: () => unknown): void;
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

const INBOX_CLAIM = Symbol('microbazaar.inboxClaim');

/**
 * The handle a fast path writes through: the pool, carrying the event's inbox claim, so a store
 * built on it (`orderStore(sql)`) reads the claim with inboxClaim() and no use case passes it on.
 */
export interface InboxSql extends Sql {
  readonly [INBOX_CLAIM]: (params: unknown[]) => InboxStatement;
}

/**
 * The inbox row of the event being handled, for a fast path's one statement: appends its parameters
 * to `params` and returns the SQL that uses them. Put `unseen` into the change's guard and
 * `claim(when)` beside the change, so the row is written only with the change. Only on the handle a
 * FastEventHandler gets (anything else throws).
 */
export function inboxClaim(sql: Sql, params: unknown[]): InboxStatement {
  const claim = (sql as Partial<InboxSql>)[INBOX_CLAIM];
  if (!claim)
    throw new Error('inboxClaim() needs the handle of a fast path (FastEventHandler), not a pool or transaction');
  return claim(params);
}

function claimingSql(db: Db, consumer: string, event: AnyEvent): InboxSql {
  return {
    query: <T = Row>(text: string, params?: readonly unknown[]) => db.query<T>(text, params),
    exec: (script: string) => db.exec(script),
    [INBOX_CLAIM](params: unknown[]): InboxStatement {
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

/**
 * A saga step as ONE statement on the pool, no transaction: the guarded change, the inbox row
 * (inboxClaim(sql, params), written only with the change) and the events (writeWithEvents). The
 * guard must include `unseen` and fail for a repeated or concurrent copy of the event (a status
 * the change moves away from, so a second copy finds nothing to change). Resolves with the outcome
 * when the change was made, or undefined when the guard did not hold: the transactional handler
 * then runs as usual and decides (duplicate, skip, or the change). Its afterCommit effects run only
 * when it made the change.
 */
export type FastEventHandler<T extends EventType> = (
  sql: InboxSql,
  event: EventOf<T>,
  ctx: HandlerContext,
) => Promise<HandlerOutcome | undefined>;

export type FastEventHandlers = { [T in EventType]?: FastEventHandler<T> };

/**
 * For an event whose fast path went unanswered (the database went away after its statement was sent)
 * and which then turned out handled: that statement most likely committed, and the effects it would
 * have asked for after it never ran (they were known only from its answer). Read on the pool what
 * the change left (the claim it made) and ask for them again with ctx.afterCommit; they run at once.
 * A handler that asks for no effects needs none of these.
 */
export type InDoubtHandler<T extends EventType> = (sql: Sql, event: EventOf<T>, ctx: HandlerContext) => Promise<void>;

export type InDoubtHandlers = { [T in EventType]?: InDoubtHandler<T> };

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
  fastPaths?: FastEventHandlers | undefined;
  /** counts the fast paths applied and fallen back (events_fast_path_total) */
  metrics?: BusMetrics | undefined;
  /**
   * Handled-event rows older than this are deleted (default 7 days; 0 keeps them). A duplicate
   * comes from a redelivery or an outbox row republished after a crash, minutes later at most,
   * so a week leaves a wide margin while the table stays small.
   */
  retentionMs?: number;
  /** per event type with a fast path that asks for effects: how to find them again after a lost answer */
  inDoubt?: InDoubtHandlers | undefined;
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
const IN_DOUBT_COMMITTED: HandlerOutcome = { status: 'handled', reason: 'committed; the answer was lost' };

/**
 * A delivery whose last commit went unanswered: the database went away after the COMMIT (or a fast
 * path's one statement) was sent, so the change may or may not have been made. The consumer holds the
 * delivery and runs it again once the database is back (consume.ts); if the inbox then says the event
 * was handled, that commit went through, and what it asked for after it runs now instead of never (a
 * payment's charge would otherwise wait out its lease). If the event was not handled, this run makes
 * the change and asks for its own effects. Kept per delivery, so it goes with a delivery handed back.
 */
type Doubt = { effects: readonly Effect[] } | { fastPath: true };

class Doubts {
  private readonly byDelivery = new WeakMap<Delivery, Doubt>();

  constructor(
    private readonly db: Db,
    private readonly inDoubt: InDoubtHandlers | undefined,
  ) {}

  /** the commit of `outcome` (with these effects) went unanswered */
  commitLost(delivery: Delivery, outcome: HandlerOutcome | undefined, effects: readonly Effect[]) {
    // a duplicate changed nothing: an earlier doubt stands
    if (outcome !== DUPLICATE) this.byDelivery.set(delivery, { effects });
  }

  /** a fast path failed for the database: its statement may have committed, its effects are unknown */
  fastPathLost(delivery: Delivery) {
    if (!this.byDelivery.has(delivery)) this.byDelivery.set(delivery, { fastPath: true });
  }

  /** a fast path made the change on this run: no earlier commit had */
  clear(delivery: Delivery) {
    this.byDelivery.delete(delivery);
  }

  /** After a commit: the outcome and effects to go on with, those of a lost commit when it turns out made. */
  async settle(
    delivery: Delivery,
    outcome: HandlerOutcome,
    effects: readonly Effect[],
  ): Promise<{ outcome: HandlerOutcome; effects: readonly Effect[] }> {
    const doubt = this.byDelivery.get(delivery);
    if (!doubt) return { outcome, effects };
    if (outcome !== DUPLICATE) {
      this.byDelivery.delete(delivery); // that commit had not gone through: this run made the change
      return { outcome, effects };
    }
    let lost: readonly Effect[];
    if ('effects' in doubt) lost = doubt.effects;
    else {
      const found: Effect[] = [];
      const handler = this.inDoubt?.[delivery.event.type] as InDoubtHandler<EventType> | undefined;
      if (handler) await handler(this.db, delivery.event as EventOf<EventType>, handlerContext(delivery, found));
      lost = found;
    }
    this.byDelivery.delete(delivery);
    delivery.log.info(
      { effects: lost.length },
      'the commit whose answer was lost had gone through: its after-commit effects run now',
    );
    return { outcome: IN_DOUBT_COMMITTED, effects: lost };
  }
}

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
 * duplicate, even one being handled concurrently, comes back `skipped`), then runs the handler;
 * after the commit, the effects it asked for with ctx.afterCommit. The bus acks only after this
 * resolves, i.e. after the commit and the effects.
 */
export function inboxHandler(
  db: Db,
  consumer: string,
  handlers: EventHandlers,
  opts: InboxOptions = {},
): DeliveryHandler {
  const doubts = new Doubts(db, opts.inDoubt);
  const transactional = transactionalInbox(db, consumer, handlers, opts, doubts);
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
      const effects: Effect[] = [];
      let outcome: HandlerOutcome | undefined;
      try {
        outcome = await fast(
          claimingSql(db, consumer, delivery.event),
          delivery.event as EventOf<EventType>,
          handlerContext(delivery, effects),
        );
      } catch (err) {
        if (isDatabaseUnavailable(err)) doubts.fastPathLost(delivery);
        throw err;
      }
      opts.metrics?.fastPath(delivery.queue, delivery.event.type, outcome !== undefined);
      if (outcome) {
        doubts.clear(delivery);
        await runEffects(effects, delivery);
        return outcome;
      }
      // fell back: what it asked for after the commit goes with it
    }
    return transactional(delivery);
  };
}

type Effect = () => unknown;

function handlerContext(delivery: Delivery, effects: Effect[]): HandlerContext {
  return {
    // read on use: the delivery's child logger is only made for a handler that logs
    get log() {
      return delivery.log;
    },
    attempt: delivery.attempt,
    queue: delivery.queue,
    headers: delivery.headers,
    afterCommit: (effect) => void effects.push(effect),
  };
}

/** The committed event's effects, in order; a failure is logged, never thrown (the change stands). */
async function runEffects(effects: readonly Effect[], delivery: Delivery): Promise<void> {
  for (const effect of effects) {
    try {
      await effect();
    } catch (err) {
      delivery.log.warn({ err: (err as Error).message }, 'after-commit effect failed');
    }
  }
}

/** Runs fn in a batched delivery's own correlation and trace context. */
function inContextOf<T>(item: Waiting, fn: () => Promise<T>): Promise<T> {
  return context.with(item.otel, () => (item.events ? runWithEventContext(item.events, fn) : fn()));
}

/** The inbox with a transaction per event, or per batch of waiting deliveries. */
function transactionalInbox(
  db: Db,
  consumer: string,
  handlers: EventHandlers,
  opts: InboxOptions,
  doubts: Doubts,
): DeliveryHandler {
  const maxBatch = Math.max(1, opts.maxBatch ?? 1);
  const handlerFor = (delivery: Delivery) => handlers[delivery.event.type] as EventHandler<EventType> | undefined;
  const run = (delivery: Delivery, handler: EventHandler<EventType>, tx: Sql, effects: Effect[]) =>
    handler(tx, delivery.event as EventOf<EventType>, handlerContext(delivery, effects));

  const one = async (delivery: Delivery, handler: EventHandler<EventType>): Promise<HandlerOutcome> => {
    const effects: Effect[] = [];
    // set once the handler is done: a failure after it is the COMMIT's, which may have gone through
    let committing: HandlerOutcome | undefined;
    let outcome: HandlerOutcome;
    try {
      outcome = await db.transaction(async (tx) => {
        const { event } = delivery;
        const claimed = await tx.query(
          `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING event_id`,
          [consumer, event.id, event.type],
        );
        if (claimed.length === 0) {
          delivery.log.info('event already handled, skipped');
          committing = DUPLICATE;
          return DUPLICATE;
        }
        const outcome = (await run(delivery, handler, tx, effects)) ?? { status: 'handled' };
        const text = outcomeText(outcome);
        if (text) {
          await tx.query('UPDATE inbox SET outcome = $3 WHERE consumer = $1 AND event_id = $2', [
            consumer,
            event.id,
            text,
          ]);
        }
        committing = outcome;
        return outcome;
      });
    } catch (err) {
      if (committing && isDatabaseUnavailable(err)) doubts.commitLost(delivery, committing, effects);
      throw err;
    }
    const settled = await doubts.settle(delivery, outcome, effects);
    await runEffects(settled.effects, delivery);
    return settled.outcome;
  };

  if (maxBatch === 1) {
    return async (delivery) => {
      const handler = handlerFor(delivery);
      if (!handler) return { status: 'skipped', reason: `no handler for ${delivery.event.type}` };
      return one(delivery, handler);
    };
  }

  // each item's outcome and the effects its handler asked for (run once the batch committed)
  const batchOf = async (
    batch: Waiting[],
    committing: { outcomes?: Array<{ outcome: HandlerOutcome; effects: Effect[] }> },
  ): Promise<Array<{ outcome: HandlerOutcome; effects: Effect[] }>> =>
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
      const outcomes: Array<{ outcome: HandlerOutcome; effects: Effect[] }> = [];
      for (const item of batch) {
        const id = item.delivery.event.id.toLowerCase();
        const effects: Effect[] = [];
        if (!claimed.delete(id)) {
          // already handled, or a second copy within this batch
          item.delivery.log.info('event already handled, skipped');
          outcomes.push({ outcome: DUPLICATE, effects });
          continue;
        }
        const outcome =
          (await inContextOf(item, () => run(item.delivery, item.handler, tx, effects))) ??
          ({ status: 'handled' } as const);
        const text = outcomeText(outcome);
        if (text) {
          await tx.query('UPDATE inbox SET outcome = $3 WHERE consumer = $1 AND event_id = $2', [
            consumer,
            item.delivery.event.id,
            text,
          ]);
        }
        outcomes.push({ outcome, effects });
      }
      committing.outcomes = outcomes;
      return outcomes;
    });

  const settle = (item: Waiting) => one(item.delivery, item.handler).then(item.resolve, item.reject);

  const runBatch = async (batch: Waiting[]) => {
    if (batch.length === 1) return settle(batch[0] as Waiting);
    let outcomes: Array<{ outcome: HandlerOutcome; effects: Effect[] }>;
    const committing: { outcomes?: Array<{ outcome: HandlerOutcome; effects: Effect[] }> } = {};
    try {
      outcomes = await batchOf(batch, committing);
    } catch (err) {
      // the commit went unanswered: each alone finds out whether it went through
      if (committing.outcomes && isDatabaseUnavailable(err)) {
        for (const [i, item] of batch.entries()) {
          const done = committing.outcomes[i];
          if (done) doubts.commitLost(item.delivery, done.outcome, done.effects);
        }
      }
      // someone in the batch failed (or the commit did): each alone, so only the failing one retries
      // (the effects its first run asked for went with the rolled-back batch)
      await Promise.all(batch.map(settle));
      return;
    }
    await Promise.all(
      batch.map(async (item, i) => {
        const done = outcomes[i] as { outcome: HandlerOutcome; effects: Effect[] };
        try {
          const { outcome, effects } = await doubts.settle(item.delivery, done.outcome, done.effects);
          await inContextOf(item, () => runEffects(effects, item.delivery));
          item.resolve(outcome);
        } catch (err) {
          item.reject(err);
        }
      }),
    );
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
  const { bus, db, handlers, consumer, bindings, maxBatch, fastPaths, retentionMs, inDoubt, ...rest } = opts;
  return bus.subscribe({
    ...rest,
    bindings: bindings ?? Object.keys(handlers),
    handler: inboxHandler(db, consumer ?? opts.queue, handlers, {
      ...(maxBatch === undefined ? {} : { maxBatch }),
      ...(fastPaths === undefined ? {} : { fastPaths }),
      ...(retentionMs === undefined ? {} : { retentionMs }),
      ...(inDoubt === undefined ? {} : { inDoubt }),
      ...(rest.metrics ? { metrics: rest.metrics } : {}),
    }),
  });
}
