// RabbitMQ bus: durable topic exchanges, persistent messages, publisher confirms, retry queues with TTL, <queue>.dlq,
// reconnect and re-declare. The parts live in rabbitmq/: connection, publisher (confirms), topology, subscription.
import { assertValidEvent, type ExchangeName, exchangeFor, exchangesForPattern } from '@microbazaar/contracts';
import type { Options } from 'amqplib';
import { pino } from 'pino';
import type { Logger } from '../logger.js';
import { consumerSpec, eventHeaders } from './consume.js';
import { AmqpLink, withHeartbeat } from './rabbitmq/connection.js';
import { ConfirmPublisher, type Outbound } from './rabbitmq/publisher.js';
import { RabbitSubscription } from './rabbitmq/subscription.js';
import { RabbitTopology } from './rabbitmq/topology.js';
import {
  type Bus,
  DEFAULT_RETRY_POLICY,
  type DeadLetterQueues,
  type RetryPolicy,
  type SubscribeOptions,
  toOutgoing,
} from './types.js';

export type { RabbitSubscription };

export interface RabbitBusOptions {
  /** amqp://user:pass@host:5672/vhost (RABBITMQ_URL) */
  url: string;
  /** shown as the connection name in the management UI */
  name?: string;
  /** prepended to exchange and queue names (test isolation) */
  prefix?: string;
  logger?: Logger;
  /** defaults for subscribe() */
  policy?: Partial<RetryPolicy>;
  /** how long publish() waits for a connection and its confirms before failing */
  publishTimeoutMs?: number;
  /** AMQP heartbeat, so a dead peer is noticed */
  heartbeatSeconds?: number;
}

export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  readonly prefix: string;
  private readonly pub: AmqpLink;
  private readonly sub: AmqpLink;
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly publishTimeoutMs: number;
  private readonly publisher: ConfirmPublisher;
  private readonly topology: RabbitTopology;
  private readonly subscriptions = new Set<RabbitSubscription>();
  private closed = false;

  constructor(opts: RabbitBusOptions) {
    this.prefix = opts.prefix ?? '';
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 10_000;
    const url = withHeartbeat(opts.url, opts.heartbeatSeconds ?? 10);
    const name = opts.name ?? 'microbazaar';
    // Publishing and consuming on separate connections: flow control on one never stalls the other's acks.
    this.pub = new AmqpLink({ url, name: `${name}:publish`, logger: this.logger, connectTimeoutMs: 5000 });
    this.sub = new AmqpLink({ url, name: `${name}:consume`, logger: this.logger, connectTimeoutMs: 5000 });
    this.publisher = new ConfirmPublisher({
      link: this.pub,
      logger: this.logger,
      timeoutMs: this.publishTimeoutMs,
      exchange: (ex) => this.exchange(ex),
    });
    this.topology = new RabbitTopology({
      link: this.pub,
      publisher: this.publisher,
      prefix: this.prefix,
      policy: this.policy,
      timeoutMs: this.publishTimeoutMs,
    });
    this.pub.start();
  }

  /** Resolves once the publishing connection is up (startup, tests). */
  async ready(timeoutMs = this.publishTimeoutMs): Promise<void> {
    await this.publisher.channel(timeoutMs);
  }

  exchange(name: ExchangeName | string): string {
    return this.prefix + name;
  }

  /** Publishes and waits for the broker's confirms (batched: one round of acks for the lot). */
  send(items: readonly Outbound[]): Promise<void> {
    return this.publisher.send(items);
  }

  async publish(items: Parameters<Bus['publish']>[0]): Promise<void> {
    const outgoing = items.map(toOutgoing);
    for (const o of outgoing) assertValidEvent(o.event);
    await this.send(
      outgoing.map(({ event, headers }) => ({
        id: event.id,
        exchange: this.exchange(exchangeFor(event.type) as string),
        routingKey: event.type,
        content: Buffer.from(JSON.stringify(event)),
        options: {
          persistent: true,
          contentType: 'application/json',
          messageId: event.id,
          type: event.type,
          correlationId: event.correlationId,
          timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
          headers: eventHeaders(event, headers),
        },
      })),
    );
  }

  /** Publishes any bytes, skipping validation: for tools and tests of poison messages. */
  async publishRaw(
    exchange: string,
    routingKey: string,
    content: string | Buffer,
    headers: Record<string, string> = {},
  ) {
    await this.send([
      {
        id: 'raw',
        exchange: this.exchange(exchange),
        routingKey,
        content: Buffer.isBuffer(content) ? content : Buffer.from(content),
        options: { persistent: true, headers },
      },
    ]);
  }

  /** Straight onto a queue through the default exchange (retry, DLQ, replay), confirmed. */
  sendToQueue(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    return this.publisher.sendToQueue(queue, content, options);
  }

  async subscribe(opts: SubscribeOptions): Promise<RabbitSubscription> {
    if (this.closed) throw new Error('the RabbitMQ bus is closed');
    const bindings = opts.bindings.flatMap((pattern) =>
      exchangesForPattern(pattern).map((exchange) => ({ exchange: this.exchange(exchange), pattern })),
    );
    if (bindings.length === 0) throw new Error(`no exchange carries ${opts.bindings.join(', ')}`);
    const spec = consumerSpec(opts, { policy: this.policy, logger: this.logger });
    const queue = this.prefix + opts.queue;
    this.topology.declaredQueues.add(queue);
    const subscription = new RabbitSubscription({
      link: this.sub,
      publisher: this.publisher,
      fullQueue: queue,
      spec,
      bindings,
      onClosed: () => this.subscriptions.delete(subscription),
    });
    for (const delay of subscription.retryDelays) this.topology.extraDelays.add(delay);
    this.subscriptions.add(subscription);
    try {
      await subscription.start(this.publishTimeoutMs);
    } catch (err) {
      await subscription.close();
      throw err;
    }
    return subscription;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the RabbitMQ bus is closed');
    if (!this.pub.current) throw new Error(`RabbitMQ unreachable: ${this.pub.problem}`);
    if (this.sub.started && !this.sub.current) throw new Error(`RabbitMQ unreachable: ${this.sub.problem}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    await this.publisher.close();
    await Promise.all([this.pub.close(), this.sub.close()]);
  }

  /**
   * Deletes the queues (with their retry queues and DLQs) and exchanges this prefixed bus
   * declared, plus the named `queues` another bus declared under the same prefix: tests only.
   */
  async deleteTopology(queues: readonly string[] = []): Promise<void> {
    if (!this.prefix) throw new Error('deleteTopology() is only for a bus with a name prefix');
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.topology.delete(queues);
  }

  /**
   * Declares consumer queues and their bindings ahead of the consumers (deploy time: `npm run events --
   * topology declare`), so what is published before a consumer's first start waits in its queue. The
   * queues are declared exactly as a subscription declares them; returns the queues declared.
   */
  declareTopology(topology: Readonly<Record<string, readonly string[]>>): Promise<string[]> {
    return this.topology.declare(topology);
  }

  /** retry delays used by subscriptions (for deleteTopology) */
  get extraDelays(): Set<number> {
    return this.topology.extraDelays;
  }

  get deadLetters(): DeadLetterQueues {
    return this.topology.deadLetters;
  }
}
