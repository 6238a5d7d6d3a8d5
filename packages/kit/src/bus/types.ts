// The event bus contract shared by the RabbitMQ and in-memory implementations.
import type { AnyEvent } from '@microbazaar/contracts';
import type { Logger } from '../logger.js';
import type { BusMetrics } from './metrics.js';

/** An event plus transport headers captured where it was produced (traceparent, tracestate). */
export interface OutgoingEvent {
  event: AnyEvent;
  headers?: Readonly<Record<string, string>>;
}

export interface Delivery<E extends AnyEvent = AnyEvent> {
  event: E;
  queue: string;
  /** 1 on first delivery, +1 per retry */
  attempt: number;
  /**
   * An earlier delivery of it ended without an answer (its consumer died or lost its connection before the
   * ack). That delivery counted as a failed attempt: the message came back through the retry queue.
   */
  redelivered: boolean;
  /** string transport headers: traceparent, x-correlation-id, x-attempt... */
  headers: Readonly<Record<string, string>>;
  /** child logger carrying correlationId, eventId, eventType, queue and attempt */
  log: Logger;
}

/** What a handler did; returning nothing means handled. */
export type HandlerOutcome = { status: 'handled'; reason?: string } | { status: 'skipped'; reason: string };

/** What a handler may resolve with: an outcome, or nothing for "handled". */
// biome-ignore lint/suspicious/noConfusingVoidType: a plain `async () => { ... }` handler resolves to void
export type MaybeOutcome = HandlerOutcome | undefined | void;

export type DeliveryHandler = (delivery: Delivery) => Promise<MaybeOutcome>;

export interface RetryPolicy {
  /** unacked deliveries in flight per consumer; handlers run concurrently up to this */
  prefetch: number;
  /**
   * deliveries before the message goes to `<queue>.dlq` (1 = no retry): a handler that throws and a delivery
   * whose consumer died before answering (process crash, lost connection) both count
   */
  maxAttempts: number;
  /** delay before retry n (the last one repeats) */
  retryDelaysMs: readonly number[];
}

export interface SubscribeOptions extends Partial<RetryPolicy> {
  /** durable queue owned by this consumer, e.g. inventory_queue */
  queue: string;
  /** routing-key patterns (`order.created`, `order.*`, `#.refunded`); exchanges follow the domain */
  bindings: readonly string[];
  handler: DeliveryHandler;
  logger?: Logger;
  metrics?: BusMetrics;
}

export interface Subscription {
  readonly queue: string;
  /** Stops consuming, lets in-flight handlers finish and ack, then leaves the queue to others. */
  close(): Promise<void>;
}

export interface DeadLetter {
  /** event id (AMQP message id) when known */
  id: string | undefined;
  type: string | undefined;
  /** invalid_message | handler_failed | consumer_died (maxAttempts deliveries, the last without an answer) */
  reason: string;
  error: string;
  attempts: number;
  failedAt: string | undefined;
  /** the message body as received */
  content: string;
  headers: Record<string, string>;
}

export interface DeadLetterQueues {
  /** Peeks at up to `limit` messages of `<queue>.dlq` without removing them. */
  list(queue: string, opts?: { limit?: number }): Promise<DeadLetter[]>;
  /** Moves messages (all, or the one with event id `id`) back onto `queue` with a fresh attempt count. */
  replay(queue: string, opts?: { id?: string }): Promise<number>;
  /** Drops every message of `<queue>.dlq`; returns how many. */
  purge(queue: string): Promise<number>;
}

export interface Bus {
  readonly kind: 'rabbitmq' | 'memory';
  /**
   * Publishes to each event's domain exchange with the type as routing key. Resolves once the
   * broker has confirmed every message; otherwise throws PublishError naming what was confirmed.
   */
  publish(events: readonly (AnyEvent | OutgoingEvent)[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Throws when the broker is not reachable (for /health/ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly deadLetters: DeadLetterQueues;
}

/** Only part of a batch was confirmed: the caller retries the rest (consumers dedupe by event id). */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly confirmedIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** Thrown by a handler when retrying cannot help: the message goes to the dead-letter queue at once. */
export class PermanentEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  prefetch: 50,
  maxAttempts: 5,
  retryDelaysMs: [1000, 5000, 30_000, 120_000],
};

export function toOutgoing(item: AnyEvent | OutgoingEvent): OutgoingEvent {
  return 'event' in item && !('data' in item) ? item : { event: item as AnyEvent };
}
