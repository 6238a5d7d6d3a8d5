// In-process bus with RabbitMQ's delivery rules: topic routing, a queue per consumer, prefetch, acks after handling, delayed retries, dead letters.
import { AsyncResource } from 'node:async_hooks';
import { assertValidEvent, exchangeFor, exchangesForPattern } from '@microbazaar/contracts';
import { pino } from 'pino';
import type { Logger } from '../logger.js';
import {
  type ConsumerSpec,
  consumerSpec,
  type Decision,
  eventHeaders,
  processMessage,
  replayHeaders,
  toDeadLetter,
  topicMatches,
} from './consume.js';
import {
  type Bus,
  DEFAULT_RETRY_POLICY,
  type DeadLetter,
  type DeadLetterQueues,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
  toOutgoing,
} from './types.js';

interface StoredMessage {
  exchange: string;
  routingKey: string;
  content: string;
  headers: Record<string, string>;
  messageId: string | undefined;
  redelivered: boolean;
}

/** FIFO with O(1) take from the front. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length() {
    return this.items.length - this.head;
  }
  push(item: T) {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

/** A message handed to a consumer and not yet settled. */
interface Unsettled {
  message: StoredMessage;
  /** its consumer "died" (abandon): the message went back to the queue, whatever the handler decides is dropped */
  lost: boolean;
}

interface Consumer {
  spec: ConsumerSpec;
  inFlight: Set<Unsettled>;
  active: boolean;
  onIdle: (() => void) | undefined;
}

class MemoryQueue {
  readonly ready = new Fifo<StoredMessage>();
  readonly bindings = new Set<string>();
  readonly consumers: Consumer[] = [];
  dlq: StoredMessage[] = [];
  next = 0;
  scheduled = false;
  constructor(readonly name: string) {}

  bound(exchange: string, routingKey: string): boolean {
    for (const binding of this.bindings) {
      const cut = binding.indexOf(' ');
      if (binding.slice(0, cut) === exchange && topicMatches(binding.slice(cut + 1), routingKey)) return true;
    }
    return false;
  }
}

/**
 * The broker: queues live as long as the process, like durable queues on a broker that never
 * restarts. The embedded platform shares one (SharedDeps.bus) between all its services.
 */
export class MemoryBroker {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  // Deliveries run in the broker's own async context, never in the publisher's (its open transaction, its request).
  private readonly scope = new AsyncResource('microbazaar.MemoryBroker');
  private closed = false;
  private held:
    | Array<{
        exchange: string;
        routingKey: string;
        content: string;
        headers: Record<string, string>;
        messageId: string | undefined;
      }>
    | undefined;

  queue(name: string): MemoryQueue | undefined {
    return this.queues.get(name);
  }

  declare(name: string, bindings: Iterable<{ exchange: string; pattern: string }>): MemoryQueue {
    this.assertOpen();
    let q = this.queues.get(name);
    if (!q) {
      q = new MemoryQueue(name);
      this.queues.set(name, q);
    }
    for (const b of bindings) q.bindings.add(`${b.exchange} ${b.pattern}`);
    return q;
  }

  deleteQueue(name: string): void {
    this.queues.delete(name);
  }

  /**
   * Holds routing until release(): the embedded platform starts every service, and so declares
   * every queue, before the first event is routed, as durable queues on a real broker would
   * already exist. Publishes are accepted (confirmed) meanwhile.
   */
  hold(): void {
    this.held ??= [];
  }

  /** Routes what was published while held, in order, and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.publish(m.exchange, m.routingKey, m.content, m.headers, m.messageId);
  }

  /** Routes one message to every bound queue (dropped when none is bound, as on RabbitMQ). */
  publish(exchange: string, routingKey: string, content: string, headers: Record<string, string>, messageId?: string) {
    this.assertOpen();
    if (this.held) {
      this.held.push({ exchange, routingKey, content, headers: { ...headers }, messageId });
      return;
    }
    for (const q of this.queues.values()) {
      if (!q.bound(exchange, routingKey)) continue;
      q.ready.push({ exchange, routingKey, content, headers: { ...headers }, messageId, redelivered: false });
      this.schedule(q);
    }
  }

  /** Puts a message straight onto a queue (replay from the DLQ). */
  enqueue(q: MemoryQueue, message: StoredMessage) {
    q.ready.push(message);
    this.schedule(q);
  }

  consume(q: MemoryQueue, spec: ConsumerSpec): Consumer {
    this.assertOpen();
    const consumer: Consumer = { spec, inFlight: new Set(), active: true, onIdle: undefined };
    q.consumers.push(consumer);
    this.schedule(q);
    return consumer;
  }

  async cancel(q: MemoryQueue, consumer: Consumer): Promise<void> {
    consumer.active = false;
    const i = q.consumers.indexOf(consumer);
    if (i >= 0) q.consumers.splice(i, 1);
    if (consumer.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        consumer.onIdle = resolve;
      });
    }
  }

  /**
   * The consumer dies with deliveries in hand, as a process killed mid-message: they go back to the queue
   * marked redelivered (and count as attempts), and what its handlers decide later is dropped. The consumer
   * itself goes on taking messages, as the restarted process would.
   */
  abandon(q: MemoryQueue, consumer: Consumer): void {
    for (const unsettled of consumer.inFlight) {
      unsettled.lost = true;
      this.enqueue(q, { ...unsettled.message, redelivered: true });
    }
    consumer.inFlight.clear();
    this.settled(q, consumer);
  }

  private schedule(q: MemoryQueue) {
    if (q.scheduled || this.closed) return;
    q.scheduled = true;
    this.scope.runInAsyncScope(() => setImmediate(() => this.dispatch(q)));
  }

  private pick(q: MemoryQueue): Consumer | undefined {
    const n = q.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = q.consumers[(q.next + i) % n];
      if (c?.active && c.inFlight.size < c.spec.policy.prefetch) {
        q.next = (q.next + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private dispatch(q: MemoryQueue) {
    q.scheduled = false;
    while (q.ready.length > 0 && !this.closed) {
      const consumer = this.pick(q);
      if (!consumer) return;
      const unsettled: Unsettled = { message: q.ready.shift() as StoredMessage, lost: false };
      consumer.inFlight.add(unsettled);
      void this.deliver(q, consumer, unsettled);
    }
  }

  private async deliver(q: MemoryQueue, consumer: Consumer, unsettled: Unsettled) {
    const { message } = unsettled;
    let decision: Decision | { action: 'requeue' };
    try {
      decision = await processMessage(
        {
          content: message.content,
          headers: message.headers,
          exchange: message.exchange,
          routingKey: message.routingKey,
          redelivered: message.redelivered,
        },
        consumer.spec,
      );
    } catch (err) {
      // not acked: back to the queue as a redelivery, as a broker does when a consumer dies mid-message
      // (a second later, so a consumer that fails this way every time does not spin)
      consumer.spec.logger.error({ err }, 'delivery failed unexpectedly, requeued');
      decision = { action: 'requeue' };
    }
    if (unsettled.lost) return; // the consumer "died": the message is back in the queue already
    consumer.inFlight.delete(unsettled);
    if (decision.action === 'requeue') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.closed) return;
        this.enqueue(q, { ...message, redelivered: true });
      }, 1000);
      timer.unref();
      this.timers.add(timer);
    } else if (decision.action === 'retry') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.closed) return;
        this.enqueue(q, { ...message, headers: decision.headers, redelivered: false });
      }, decision.delayMs);
      timer.unref();
      this.timers.add(timer);
    } else if (decision.action === 'dead-letter') {
      q.dlq.push({ ...message, headers: decision.headers });
    }
    this.settled(q, consumer);
  }

  private settled(q: MemoryQueue, consumer: Consumer) {
    if (consumer.inFlight.size === 0 && consumer.onIdle) {
      const resolve = consumer.onIdle;
      consumer.onIdle = undefined;
      resolve();
    }
    this.schedule(q);
  }

  private assertOpen() {
    if (this.closed) throw new Error('the in-memory broker is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export interface MemorySubscription extends Subscription {
  /** Fault tests: the consumer dies with its deliveries unsettled (see MemoryBroker.abandon). */
  abandon(): Promise<void>;
}

export interface MemoryBusOptions {
  /** share one broker between several services (embedded platform); a private one otherwise */
  broker?: MemoryBroker;
  /** prepended to exchange and queue names (test isolation) */
  prefix?: string;
  logger?: Logger;
  /** defaults for subscribe() */
  policy?: Partial<RetryPolicy>;
}

/** One service's handle on a broker: close() ends its subscriptions, and the broker only if it owns it. */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly broker: MemoryBroker;
  private readonly ownsBroker: boolean;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly subscriptions = new Set<Subscription>();

  constructor(opts: MemoryBusOptions = {}) {
    this.broker = opts.broker ?? new MemoryBroker();
    this.ownsBroker = !opts.broker;
    this.prefix = opts.prefix ?? '';
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
  }

  async publish(items: Parameters<Bus['publish']>[0]): Promise<void> {
    const outgoing = items.map(toOutgoing);
    for (const o of outgoing) assertValidEvent(o.event);
    for (const { event, headers } of outgoing) {
      const exchange = exchangeFor(event.type) as string;
      this.broker.publish(
        this.prefix + exchange,
        event.type,
        JSON.stringify(event),
        eventHeaders(event, headers),
        event.id,
      );
    }
  }

  /** Publishes any bytes, skipping validation: for tools and tests of poison messages. */
  async publishRaw(exchange: string, routingKey: string, content: string, headers: Record<string, string> = {}) {
    this.broker.publish(this.prefix + exchange, routingKey, content, headers);
  }

  async subscribe(opts: SubscribeOptions): Promise<MemorySubscription> {
    const bindings = opts.bindings.flatMap((pattern) =>
      exchangesForPattern(pattern).map((exchange) => ({ exchange: this.prefix + exchange, pattern })),
    );
    if (bindings.length === 0) throw new Error(`no exchange carries ${opts.bindings.join(', ')}`);
    const q = this.broker.declare(this.prefix + opts.queue, bindings);
    const stopping = new AbortController();
    const consumer = this.broker.consume(q, {
      ...consumerSpec(opts, { policy: this.policy, logger: this.logger }),
      signal: stopping.signal,
    });
    let closing: Promise<void> | undefined;
    const subscription: MemorySubscription = {
      queue: opts.queue,
      close: () => {
        stopping.abort(); // deliveries held for the database go back to the queue
        closing ??= this.broker.cancel(q, consumer).finally(() => this.subscriptions.delete(subscription));
        return closing;
      },
      abandon: async () => this.broker.abandon(q, consumer),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    if (this.broker.isClosed) throw new Error('the in-memory broker is closed');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsBroker) await this.broker.close();
  }

  /** Removes this bus's queues (tests). */
  deleteQueues(queues: readonly string[]): void {
    for (const q of queues) this.broker.deleteQueue(this.prefix + q);
  }

  readonly deadLetters: DeadLetterQueues = {
    list: async (queue, opts = {}) => {
      const q = this.broker.queue(this.prefix + queue);
      return (q?.dlq ?? [])
        .slice(0, opts.limit ?? 100)
        .map((m): DeadLetter => toDeadLetter(m.content, m.headers, m.messageId));
    },
    replay: async (queue, opts = {}) => {
      const q = this.broker.queue(this.prefix + queue);
      if (!q) return 0;
      const keep: StoredMessage[] = [];
      let replayed = 0;
      for (const m of q.dlq) {
        if (opts.id && toDeadLetter(m.content, m.headers, m.messageId).id !== opts.id) {
          keep.push(m);
          continue;
        }
        replayed++;
        this.broker.enqueue(q, { ...m, headers: replayHeaders(m.headers), redelivered: false });
      }
      q.dlq = keep;
      return replayed;
    },
    purge: async (queue) => {
      const q = this.broker.queue(this.prefix + queue);
      if (!q) return 0;
      const n = q.dlq.length;
      q.dlq = [];
      return n;
    },
  };
}
