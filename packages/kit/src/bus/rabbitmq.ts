// RabbitMQ bus: durable topic exchanges, persistent messages, publisher confirms, retry queues with TTL, <queue>.dlq, reconnect and re-declare.
import {
  assertValidEvent,
  EXCHANGES,
  type ExchangeName,
  exchangeFor,
  exchangesForPattern,
} from '@microbazaar/contracts';
import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type Options,
} from 'amqplib';
import { pino } from 'pino';
import { Unavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type ConsumerSpec,
  eventHeaders,
  processMessage,
  replayHeaders,
  retryDelays,
  toDeadLetter,
} from './consume.js';
import { noBusMetrics } from './metrics.js';
import {
  type Bus,
  DEFAULT_RETRY_POLICY,
  type DeadLetterQueues,
  PublishError,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
  toOutgoing,
} from './types.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface LinkOptions {
  url: string;
  name: string;
  logger: Logger;
  connectTimeoutMs: number;
}

/** One AMQP connection that comes back after the broker drops it, and tells its users when it does. */
class AmqpLink {
  private model: ChannelModel | undefined;
  private running = false;
  private closed = false;
  private lastError: Error | undefined;
  private readonly waiters = new Set<{ resolve: (m: ChannelModel) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(model: ChannelModel) => void>();
  started = false;

  constructor(private readonly opts: LinkOptions) {}

  get current(): ChannelModel | undefined {
    return this.model;
  }

  get problem(): string {
    return this.lastError?.message ?? 'not connected';
  }

  start(): void {
    this.started = true;
    if (this.running || this.closed || this.model) return;
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
    });
  }

  private async run() {
    let delay = 100;
    let failures = 0;
    while (!this.closed && !this.model) {
      try {
        const model = await connect(this.opts.url, {
          clientProperties: { connection_name: this.opts.name },
          timeout: this.opts.connectTimeoutMs,
        });
        if (this.closed) {
          await model.close().catch(() => {});
          return;
        }
        model.on('error', (err: Error) => {
          this.lastError = err;
        });
        model.on('close', (err?: Error) => this.lost(model, err));
        model.on('blocked', (reason: string) => this.opts.logger.warn({ reason }, 'RabbitMQ blocked the connection'));
        this.model = model;
        this.lastError = undefined;
        if (failures > 0) this.opts.logger.info({ connection: this.opts.name }, 'RabbitMQ connection restored');
        for (const w of this.waiters) w.resolve(model);
        this.waiters.clear();
        for (const listener of this.listeners) listener(model);
      } catch (err) {
        this.lastError = err as Error;
        if (failures++ % 20 === 0) {
          this.opts.logger.warn(
            { connection: this.opts.name, err: (err as Error).message, retryInMs: delay },
            'RabbitMQ unreachable, retrying',
          );
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private lost(model: ChannelModel, err?: Error) {
    if (this.model !== model) return;
    this.model = undefined;
    if (this.closed) return;
    this.lastError = err ?? new Error('connection closed');
    this.opts.logger.warn({ connection: this.opts.name, err: this.lastError.message }, 'RabbitMQ connection lost');
    this.start();
  }

  /** The open connection, waiting up to timeoutMs for one. */
  get(timeoutMs: number): Promise<ChannelModel> {
    if (this.model) return Promise.resolve(this.model);
    if (this.closed) return Promise.reject(new Error('the RabbitMQ bus is closed'));
    this.start();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m: ChannelModel) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Unavailable(`RabbitMQ is unavailable: ${this.problem}`, 'BROKER_UNAVAILABLE', this.lastError));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  onConnect(listener: (model: ChannelModel) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.reject(new Error('the RabbitMQ bus is closed'));
    this.waiters.clear();
    const model = this.model;
    this.model = undefined;
    if (model) await model.close().catch(() => {});
  }
}

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

interface Outbound {
  id: string;
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404;
}

/** Keeps the AMQP properties a message travels with when it is moved to a retry queue, the DLQ or back. */
function carriedProperties(msg: { properties: ConsumeMessage['properties'] }, headers: Record<string, string>) {
  const p = msg.properties;
  return {
    persistent: true,
    contentType: p.contentType ?? 'application/json',
    ...(p.messageId ? { messageId: p.messageId } : {}),
    ...(p.type ? { type: p.type } : {}),
    ...(p.correlationId ? { correlationId: p.correlationId } : {}),
    ...(p.timestamp ? { timestamp: p.timestamp } : {}),
    headers,
  } satisfies Options.Publish;
}

export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  readonly prefix: string;
  private readonly pub: AmqpLink;
  private readonly sub: AmqpLink;
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly publishTimeoutMs: number;
  private confirm: Promise<ConfirmChannel> | undefined;
  private readonly subscriptions = new Set<RabbitSubscription>();
  private readonly declaredQueues = new Set<string>();
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
    this.pub.start();
  }

  /** Resolves once the publishing connection is up (startup, tests). */
  async ready(timeoutMs = this.publishTimeoutMs): Promise<void> {
    await this.confirmChannel(timeoutMs);
  }

  exchange(name: ExchangeName | string): string {
    return this.prefix + name;
  }

  private confirmChannel(timeoutMs = this.publishTimeoutMs): Promise<ConfirmChannel> {
    if (!this.confirm) {
      const opening: Promise<ConfirmChannel> = (async () => {
        const model = await this.pub.get(timeoutMs);
        const ch = await model.createConfirmChannel();
        ch.setMaxListeners(0); // each batch in flight waits on 'close'
        ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'RabbitMQ publish channel error'));
        ch.on('close', () => {
          if (this.confirm === opening) this.confirm = undefined;
        });
        for (const ex of EXCHANGES) await ch.assertExchange(this.exchange(ex), 'topic', { durable: true });
        return ch;
      })();
      this.confirm = opening;
      opening.catch(() => {
        if (this.confirm === opening) this.confirm = undefined;
      });
    }
    return this.confirm;
  }

  /** Publishes and waits for the broker's confirms (batched: one round of acks for the lot). */
  async send(items: readonly Outbound[]): Promise<void> {
    if (items.length === 0) return;
    if (this.closed) throw new Error('the RabbitMQ bus is closed');
    const started = Date.now();
    let ch: ConfirmChannel;
    try {
      ch = await this.confirmChannel();
    } catch (err) {
      throw new PublishError((err as Error).message, [], { cause: err });
    }
    const confirmed: string[] = [];
    let failure: unknown;
    await new Promise<void>((resolve) => {
      let pending = items.length;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ch.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        failure ??= new Error('channel closed before the broker confirmed');
        finish();
      };
      const timer = setTimeout(
        () => {
          failure ??= new Error('timed out waiting for publisher confirms');
          finish();
        },
        Math.max(100, this.publishTimeoutMs - (Date.now() - started)),
      );
      ch.once('close', onClose);
      const settle = (id: string, err: unknown) => {
        if (err) failure ??= err;
        else confirmed.push(id);
        if (--pending === 0) finish();
      };
      void (async () => {
        for (const item of items) {
          if (done) return;
          let writable: boolean;
          try {
            writable = ch.publish(item.exchange, item.routingKey, item.content, item.options, (err) =>
              settle(item.id, err),
            );
          } catch (err) {
            failure ??= err;
            finish();
            return;
          }
          if (!writable) {
            await new Promise<void>((go) => {
              const on = () => {
                ch.off('drain', on);
                ch.off('close', on);
                go();
              };
              ch.on('drain', on);
              ch.on('close', on);
            });
          }
        }
      })();
    });
    if (confirmed.length < items.length) {
      throw new PublishError(
        `${items.length - confirmed.length} of ${items.length} messages not confirmed: ${(failure as Error)?.message ?? 'unknown error'}`,
        confirmed,
        { cause: failure },
      );
    }
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
    return this.send([{ id: options.messageId ?? 'message', exchange: '', routingKey: queue, content, options }]);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('the RabbitMQ bus is closed');
    const bindings = opts.bindings.flatMap((pattern) =>
      exchangesForPattern(pattern).map((exchange) => ({ exchange: this.exchange(exchange), pattern })),
    );
    if (bindings.length === 0) throw new Error(`no exchange carries ${opts.bindings.join(', ')}`);
    const spec: ConsumerSpec = {
      queue: opts.queue,
      handler: opts.handler,
      policy: {
        prefetch: opts.prefetch ?? this.policy.prefetch,
        maxAttempts: opts.maxAttempts ?? this.policy.maxAttempts,
        retryDelaysMs: opts.retryDelaysMs ?? this.policy.retryDelaysMs,
      },
      logger: opts.logger ?? this.logger,
      metrics: opts.metrics ?? noBusMetrics,
    };
    const queue = this.prefix + opts.queue;
    this.declaredQueues.add(queue);
    const subscription = new RabbitSubscription(this, this.sub, queue, spec, bindings, () =>
      this.subscriptions.delete(subscription),
    );
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
    const confirm = this.confirm;
    this.confirm = undefined;
    if (confirm) await confirm.then((ch) => ch.close()).catch(() => {});
    await Promise.all([this.pub.close(), this.sub.close()]);
  }

  /**
   * Deletes the queues (with their retry queues and DLQs) and exchanges this prefixed bus
   * declared, plus the named `queues` another bus declared under the same prefix: tests only.
   */
  async deleteTopology(queues: readonly string[] = []): Promise<void> {
    if (!this.prefix) throw new Error('deleteTopology() is only for a bus with a name prefix');
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const model = await this.pub.get(this.publishTimeoutMs);
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try {
      for (const q of new Set([...this.declaredQueues, ...queues.map((name) => this.prefix + name)])) {
        await ch.deleteQueue(q);
        await ch.deleteQueue(`${q}.dlq`);
        for (const delay of new Set([...retryDelays(this.policy), ...this.extraDelays]))
          await ch.deleteQueue(`${q}.retry.${delay}`);
      }
      for (const ex of EXCHANGES) await ch.deleteExchange(this.exchange(ex));
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /**
   * Declares consumer queues and their bindings ahead of the consumers (deploy time: `npm run events --
   * topology declare`), so what is published before a consumer's first start waits in its queue. The
   * queues are declared exactly as a subscription declares them; returns the queues declared.
   */
  async declareTopology(topology: Readonly<Record<string, readonly string[]>>): Promise<string[]> {
    return this.withChannel(async (ch) => {
      for (const ex of EXCHANGES) await ch.assertExchange(this.exchange(ex), 'topic', { durable: true });
      const declared: string[] = [];
      for (const [name, patterns] of Object.entries(topology)) {
        const queue = this.prefix + name;
        await ch.assertQueue(queue, { durable: true });
        await ch.assertQueue(`${queue}.dlq`, { durable: true });
        for (const pattern of patterns) {
          for (const exchange of exchangesForPattern(pattern))
            await ch.bindQueue(queue, this.exchange(exchange), pattern);
        }
        this.declaredQueues.add(queue);
        declared.push(queue);
      }
      return declared;
    });
  }

  /** retry delays used by subscriptions (for deleteTopology) */
  readonly extraDelays = new Set<number>();

  private async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = await this.pub.get(this.publishTimeoutMs);
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      // closing the channel returns every message we peeked at and did not ack to its queue
      await ch.close().catch(() => {});
    }
  }

  readonly deadLetters: DeadLetterQueues = {
    list: async (queue, opts = {}) => {
      const dlq = `${this.prefix}${queue}.dlq`;
      try {
        return await this.withChannel(async (ch) => {
          const { messageCount } = await ch.checkQueue(dlq);
          const out = [];
          for (let i = 0; i < Math.min(opts.limit ?? 100, messageCount); i++) {
            const m = await ch.get(dlq, { noAck: false });
            if (!m) break;
            out.push(toDeadLetter(m.content, m.properties.headers ?? {}, m.properties.messageId));
          }
          return out;
        });
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
    },
    replay: async (queue, opts = {}) => {
      const target = this.prefix + queue;
      const dlq = `${target}.dlq`;
      try {
        return await this.withChannel(async (ch) => {
          const { messageCount } = await ch.checkQueue(dlq);
          let replayed = 0;
          for (let i = 0; i < messageCount; i++) {
            const m = await ch.get(dlq, { noAck: false });
            if (!m) break;
            const headers = m.properties.headers ?? {};
            if (opts.id && toDeadLetter(m.content, headers, m.properties.messageId).id !== opts.id) continue;
            await this.sendToQueue(target, m.content, carriedProperties(m, replayHeaders(headers)));
            ch.ack(m);
            replayed++;
          }
          return replayed;
        });
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    },
    purge: async (queue) => {
      try {
        return await this.withChannel(async (ch) => (await ch.purgeQueue(`${this.prefix}${queue}.dlq`)).messageCount);
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    },
  };
}

/** A consumer that survives reconnects: on every new connection it re-declares its topology and consumes again. */
class RabbitSubscription implements Subscription {
  private channel: Channel | undefined;
  private channelModel: ChannelModel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private unlisten: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly queue: string;

  constructor(
    private readonly bus: RabbitBus,
    private readonly link: AmqpLink,
    private readonly fullQueue: string,
    private readonly spec: ConsumerSpec,
    private readonly bindings: readonly { exchange: string; pattern: string }[],
    private readonly onClosed: () => void,
  ) {
    this.queue = spec.queue;
    for (const delay of retryDelays(spec.policy)) bus.extraDelays.add(delay);
  }

  /** Consumes now if the broker answers (declaration errors throw), else as soon as it does. */
  async start(timeoutMs: number): Promise<void> {
    this.unlisten = this.link.onConnect((model) => this.setupLogged(model));
    let model: ChannelModel;
    try {
      model = await this.link.get(timeoutMs);
    } catch (err) {
      this.spec.logger.warn(
        { queue: this.queue, err: (err as Error).message },
        'RabbitMQ unreachable: the consumer starts when it connects',
      );
      return;
    }
    await this.setup(model);
  }

  private setup(model: ChannelModel): Promise<void> {
    const run = this.chain.then(() => this.declareAndConsume(model));
    this.chain = run.catch(() => {});
    return run;
  }

  private setupLogged(model: ChannelModel) {
    this.setup(model).catch((err: Error) => {
      this.spec.logger.warn({ queue: this.queue, err: err.message }, 'consumer setup failed, retrying');
      this.retryLater();
    });
  }

  private retryLater() {
    if (this.closing || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const model = this.link.current;
      if (model) this.setupLogged(model); // else the link's onConnect sets it up
    }, 1000);
    this.retryTimer.unref();
  }

  private async declareAndConsume(model: ChannelModel) {
    if (this.closing || this.link.current !== model) return;
    if (this.channel && this.channelModel === model) return;
    const ch = await model.createChannel();
    ch.on('error', (err: Error) =>
      this.spec.logger.warn({ queue: this.queue, err: err.message }, 'consumer channel error'),
    );
    ch.on('close', () => this.channelClosed(ch));
    const q = this.fullQueue;
    await ch.prefetch(this.spec.policy.prefetch);
    for (const exchange of new Set(this.bindings.map((b) => b.exchange)))
      await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.assertQueue(q, { durable: true });
    await ch.assertQueue(`${q}.dlq`, { durable: true });
    for (const delay of retryDelays(this.spec.policy)) {
      // one queue per delay: a per-queue TTL never holds a short delay behind a long one
      await ch.assertQueue(`${q}.retry.${delay}`, {
        durable: true,
        arguments: { 'x-message-ttl': delay, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q },
      });
    }
    for (const b of this.bindings) await ch.bindQueue(q, b.exchange, b.pattern);
    if (this.closing) {
      await ch.close().catch(() => {});
      return;
    }
    const { consumerTag } = await ch.consume(q, (msg) => this.onMessage(ch, msg), { noAck: false });
    this.channel = ch;
    this.channelModel = model;
    this.consumerTag = consumerTag;
  }

  private channelClosed(ch: Channel) {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.channelModel = undefined;
    this.consumerTag = undefined;
    // A channel-level close (the connection is still up) is not followed by a reconnect: set up again here.
    if (!this.closing) this.retryLater();
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null) {
    if (msg === null) {
      // the broker cancelled us (queue deleted): declare it again on a fresh channel
      this.spec.logger.warn({ queue: this.queue }, 'consumer cancelled by the broker');
      void ch.close().catch(() => {});
      return;
    }
    const work = this.handle(ch, msg).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async handle(ch: Channel, msg: ConsumeMessage) {
    const decision = await processMessage(
      {
        content: msg.content,
        headers: msg.properties.headers ?? {},
        exchange: msg.fields.exchange,
        routingKey: msg.fields.routingKey,
        redelivered: msg.fields.redelivered,
      },
      this.spec,
    );
    try {
      if (decision.action === 'retry') {
        await this.bus.sendToQueue(
          `${this.fullQueue}.retry.${decision.delayMs}`,
          msg.content,
          carriedProperties(msg, decision.headers),
        );
      } else if (decision.action === 'dead-letter') {
        await this.bus.sendToQueue(`${this.fullQueue}.dlq`, msg.content, carriedProperties(msg, decision.headers));
      }
    } catch (err) {
      // Could not park it: leave it unacked and hand it back, the broker delivers it again.
      this.spec.logger.warn({ queue: this.queue, err: (err as Error).message }, 'could not move message, requeueing');
      await sleep(1000);
      try {
        ch.nack(msg, false, true);
      } catch {
        // channel gone: the broker requeues it by itself
      }
      return;
    }
    try {
      ch.ack(msg);
    } catch {
      // the channel died after the handler committed: the broker redelivers and the inbox skips it
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unlisten?.();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      await this.chain;
      const ch = this.channel;
      if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => {});
      await Promise.allSettled([...this.inFlight]);
      this.channel = undefined;
      if (ch) await ch.close().catch(() => {});
      this.onClosed();
    })();
    return this.closing;
  }
}
