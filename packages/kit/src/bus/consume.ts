// One delivery, decided the same way by both buses: validate, run the handler in its trace context, then ack, retry or dead-letter.
import { type AnyEvent, validateEvent } from '@microbazaar/contracts';
import { isDatabaseUnavailable } from '../db.js';
import type { Logger } from '../logger.js';
import { type BusMetrics, noBusMetrics } from './metrics.js';
import { runWithEventContext, withConsumerSpan } from './tracing.js';
import {
  type Delivery,
  type DeliveryHandler,
  type HandlerOutcome,
  PermanentEventError,
  type RetryPolicy,
  type SubscribeOptions,
} from './types.js';

export const HEADER = {
  attempt: 'x-attempt',
  correlationId: 'x-correlation-id',
  causationId: 'x-causation-id',
  version: 'x-event-version',
  lastError: 'x-last-error',
  /** set on a message moved on because an earlier delivery of it ended without an answer (its consumer died) */
  redelivered: 'x-redelivered',
  reason: 'x-dead-letter-reason',
  error: 'x-error',
  errorStack: 'x-error-stack',
  attempts: 'x-attempts',
  failedAt: 'x-failed-at',
  queue: 'x-queue',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
} as const;

export interface RawMessage {
  content: Buffer | string;
  headers: Record<string, unknown>;
  exchange: string;
  routingKey: string;
  redelivered: boolean;
}

export type Decision =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number; headers: Record<string, string> }
  | { action: 'dead-letter'; headers: Record<string, string> };

export interface ConsumerSpec {
  /** the queue name as the service knows it (without a test prefix) */
  queue: string;
  handler: DeliveryHandler;
  policy: RetryPolicy;
  logger: Logger;
  metrics: BusMetrics;
  /** aborted when the subscription closes: deliveries held for the database give up waiting */
  signal?: AbortSignal;
}

/**
 * What a bus's subscribe hands its consumer: the subscription's retry policy where it sets one, else the
 * bus's; its logger and metrics, else the bus's logger and none. The same for RabbitMQ and the memory bus.
 */
export function consumerSpec(opts: SubscribeOptions, bus: { policy: RetryPolicy; logger: Logger }): ConsumerSpec {
  return {
    queue: opts.queue,
    handler: opts.handler,
    policy: {
      prefetch: opts.prefetch ?? bus.policy.prefetch,
      maxAttempts: opts.maxAttempts ?? bus.policy.maxAttempts,
      retryDelaysMs: opts.retryDelaysMs ?? bus.policy.retryDelaysMs,
    },
    logger: opts.logger ?? bus.logger,
    metrics: opts.metrics ?? noBusMetrics,
  };
}

/** Longest wait between two tries of a delivery held while the database is unreachable. */
export const HOLD_RETRY_MAX_MS = 500;

const holding = new WeakMap<ConsumerSpec, number>();

/**
 * Runs the handler; while it fails because the database is unreachable, runs it again (every 100 ms
 * growing to HOLD_RETRY_MAX_MS) with the delivery kept in hand: no attempt is used up, nothing moves
 * through the broker, and prefetch bounds how many deliveries wait. So a consumer takes up its work
 * within half a second of the database's return instead of after its retry delays (up to minutes),
 * and an outage longer than the retry schedule dead-letters nothing.
 */
async function holdWhileDatabaseDown<T>(
  spec: ConsumerSpec,
  type: string,
  log: () => Logger,
  run: () => Promise<T>,
): Promise<T> {
  let held = 0;
  try {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!isDatabaseUnavailable(err) || spec.signal?.aborted) throw err;
        if (held === 0) {
          spec.metrics.held?.(spec.queue, type);
          const n = (holding.get(spec) ?? 0) + 1;
          holding.set(spec, n);
          if (n === 1) log().warn({ err: (err as Error).message }, 'database unavailable: deliveries wait for it');
        }
        await pause(Math.min(100 * 2 ** held, HOLD_RETRY_MAX_MS), spec.signal);
        held++;
      }
    }
  } finally {
    if (held > 0) {
      const n = (holding.get(spec) ?? 1) - 1;
      holding.set(spec, n);
      if (n === 0) log().info('database back: held deliveries go on');
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** String-valued transport headers only (drops the broker's x-death tables and the like). */
export function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (Buffer.isBuffer(v)) out[k] = v.toString('utf8');
  }
  return out;
}

/** Headers for the broker: correlation and causation ids next to the caller's trace headers. */
export function eventHeaders(event: AnyEvent, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...extra,
    [HEADER.correlationId]: event.correlationId,
    ...(event.causationId ? { [HEADER.causationId]: event.causationId } : {}),
    [HEADER.version]: String(event.version),
    [HEADER.attempt]: '1',
  };
}

const MAX_HEADER_TEXT = 2000;

function errorText(err: unknown): { message: string; stack: string } {
  if (err instanceof Error) {
    return {
      message: `${err.name}: ${err.message}`.slice(0, MAX_HEADER_TEXT),
      stack: (err.stack ?? '').slice(0, MAX_HEADER_TEXT * 2),
    };
  }
  return { message: String(err).slice(0, MAX_HEADER_TEXT), stack: '' };
}

export function retryDelay(policy: RetryPolicy, failedAttempt: number): number {
  const delays = policy.retryDelaysMs;
  if (delays.length === 0) return 1000;
  return delays[Math.min(failedAttempt - 1, delays.length - 1)] ?? 1000;
}

/** Every distinct delay a policy can ask for (one retry queue each on RabbitMQ). */
export function retryDelays(policy: RetryPolicy): number[] {
  const out = new Set<number>();
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) out.add(retryDelay(policy, attempt));
  return [...out];
}

export async function processMessage(raw: RawMessage, spec: ConsumerSpec): Promise<Decision> {
  const headers = stringHeaders(raw.headers);
  const attempt = Math.max(1, Number.parseInt(headers[HEADER.attempt] ?? '1', 10) || 1);
  const base: Record<string, string> = {
    ...headers,
    [HEADER.originalExchange]: headers[HEADER.originalExchange] ?? raw.exchange,
    [HEADER.originalRoutingKey]: headers[HEADER.originalRoutingKey] ?? raw.routingKey,
  };
  const deadLetter = (reason: string, err: unknown, type: string, log: Logger): Decision => {
    const { message, stack } = errorText(err);
    spec.metrics.deadLettered(spec.queue, type, reason);
    log.error({ reason, error: message }, 'event dead-lettered');
    const out: Record<string, string> = {
      ...base,
      [HEADER.reason]: reason,
      [HEADER.error]: message,
      [HEADER.attempts]: String(attempt),
      [HEADER.failedAt]: new Date().toISOString(),
      [HEADER.queue]: spec.queue,
    };
    if (stack) out[HEADER.errorStack] = stack;
    delete out[HEADER.lastError];
    return { action: 'dead-letter', headers: out };
  };

  // The broker hands a message back (redelivered) when its last delivery ended without an answer: the consumer
  // process died on it (a crash, an out-of-memory kill), or lost its connection, before acking. That delivery
  // was an attempt too. It is counted before anything else runs (not even the JSON is parsed), by moving the
  // message on with the next attempt number, so a message that kills its consumer every time reaches the DLQ
  // after maxAttempts deliveries instead of coming back for ever.
  if (raw.redelivered) {
    const type = raw.routingKey.slice(0, 64) || 'unknown';
    const log = spec.logger.child({ queue: spec.queue, routingKey: raw.routingKey, attempt });
    const died = new Error(
      `delivery ${attempt} ended without an answer: the consumer died or lost its connection while handling it`,
    );
    if (attempt >= spec.policy.maxAttempts) return deadLetter('consumer_died', died, type, log);
    const delayMs = retryDelay(spec.policy, attempt);
    spec.metrics.retried(spec.queue, type);
    log.warn(
      { delayMs, maxAttempts: spec.policy.maxAttempts },
      'event redelivered after its consumer died, will retry',
    );
    return {
      action: 'retry',
      delayMs,
      headers: {
        ...base,
        [HEADER.attempt]: String(attempt + 1),
        [HEADER.lastError]: died.message,
        [HEADER.redelivered]: 'true',
      },
    };
  }

  // An unreadable or invalid message can never succeed: straight to the DLQ, the consumer goes on.
  let body: unknown;
  const text = typeof raw.content === 'string' ? raw.content : raw.content.toString('utf8');
  const invalidLog = () => spec.logger.child({ queue: spec.queue, routingKey: raw.routingKey });
  try {
    body = JSON.parse(text);
  } catch (err) {
    return deadLetter(
      'invalid_message',
      new Error(`body is not JSON: ${(err as Error).message}`),
      'unknown',
      invalidLog(),
    );
  }
  const valid = validateEvent(body);
  if (!valid.ok) {
    const type = typeof (body as { type?: unknown })?.type === 'string' ? (body as { type: string }).type : 'unknown';
    return deadLetter('invalid_message', new Error(valid.reason), type.slice(0, 64), invalidLog());
  }
  const event = valid.event;
  // the child logger is made on first use: most deliveries log nothing at the configured level
  let child: Logger | undefined;
  const logger = () =>
    (child ??= spec.logger.child({
      correlationId: event.correlationId,
      eventId: event.id,
      eventType: event.type,
      queue: spec.queue,
      attempt,
    }));
  const delivery: Delivery = {
    event,
    queue: spec.queue,
    attempt,
    redelivered: raw.redelivered || headers[HEADER.redelivered] === 'true',
    headers,
    get log() {
      return logger();
    },
  };

  try {
    const outcome = await holdWhileDatabaseDown(spec, event.type, logger, () =>
      withConsumerSpan({ queue: spec.queue, eventId: event.id, eventType: event.type, attempt }, headers, (trace) =>
        runWithEventContext({ correlationId: event.correlationId, causationId: event.id, ...trace }, () =>
          spec.handler(delivery),
        ),
      ),
    );
    const result: HandlerOutcome = outcome ?? { status: 'handled' };
    spec.metrics.consumed(spec.queue, event.type, result.status);
    spec.metrics.delivered(spec.queue, (Date.now() - Date.parse(event.occurredAt)) / 1000);
    if (spec.logger.isLevelEnabled('debug'))
      logger().debug({ outcome: result.status, reason: result.reason }, 'event consumed');
    return { action: 'ack' };
  } catch (err) {
    if (isDatabaseUnavailable(err) && spec.signal?.aborted && spec.policy.maxAttempts > 1) {
      // held for the database when the consumer stopped: back to the queue, the attempt not counted
      return { action: 'retry', delayMs: retryDelay(spec.policy, 1), headers: base };
    }
    if (err instanceof PermanentEventError || attempt >= spec.policy.maxAttempts) {
      return deadLetter('handler_failed', err, event.type, logger());
    }
    const delayMs = retryDelay(spec.policy, attempt);
    spec.metrics.retried(spec.queue, event.type);
    logger().warn({ err, delayMs, maxAttempts: spec.policy.maxAttempts }, 'event handler failed, will retry');
    return {
      action: 'retry',
      delayMs,
      headers: { ...base, [HEADER.attempt]: String(attempt + 1), [HEADER.lastError]: errorText(err).message },
    };
  }
}

/** Reads a dead-lettered message back into the shape the CLI and tests show. */
export function toDeadLetter(content: Buffer | string, rawHeaders: Record<string, unknown>, messageId?: string) {
  const headers = stringHeaders(rawHeaders);
  const text = typeof content === 'string' ? content : content.toString('utf8');
  let id = messageId;
  let type: string | undefined;
  try {
    const body = JSON.parse(text) as { id?: unknown; type?: unknown };
    if (typeof body.id === 'string') id ??= body.id;
    if (typeof body.type === 'string') type = body.type;
  } catch {
    // not JSON: shown as is
  }
  return {
    id,
    type,
    reason: headers[HEADER.reason] ?? 'unknown',
    error: headers[HEADER.error] ?? '',
    attempts: Number(headers[HEADER.attempts] ?? 0),
    failedAt: headers[HEADER.failedAt],
    content: text,
    headers,
  };
}

/** Headers for a replayed message: a fresh attempt count, the dead-letter notes removed. */
export function replayHeaders(rawHeaders: Record<string, unknown>): Record<string, string> {
  const headers = stringHeaders(rawHeaders);
  for (const key of [
    HEADER.reason,
    HEADER.error,
    HEADER.errorStack,
    HEADER.attempts,
    HEADER.failedAt,
    HEADER.queue,
    HEADER.lastError,
    HEADER.redelivered,
  ]) {
    delete headers[key];
  }
  headers[HEADER.attempt] = '1';
  return headers;
}

/** AMQP topic matching: `*` is exactly one word, `#` zero or more. */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    const word = p[i];
    if (word === '#') {
      for (let skip = j; skip <= k.length; skip++) if (match(i + 1, skip)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (word === '*' || word === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
