// A consumer that survives reconnects, and the retry decisions for its deliveries: retry queue, DLQ, or ack.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { type ConsumerSpec, type Decision, processMessage, retryDelays } from '../consume.js';
import type { Subscription } from '../types.js';
import { type AmqpLink, sleep } from './connection.js';
import { type ConfirmPublisher, carriedProperties } from './publisher.js';
import { type Binding, declareConsumerQueue, dlqOf, retryQueueOf } from './topology.js';

export interface RabbitSubscriptionOptions {
  /** the consuming connection */
  link: AmqpLink;
  /** moves messages to the retry queues and the DLQ */
  publisher: ConfirmPublisher;
  /** the prefixed queue name */
  fullQueue: string;
  spec: ConsumerSpec;
  bindings: readonly Binding[];
  onClosed: () => void;
}

/** A consumer that survives reconnects: on every new connection it re-declares its topology and consumes again. */
export class RabbitSubscription implements Subscription {
  private channel: Channel | undefined;
  private channelModel: ChannelModel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** deliveries decided and being moved on (retry queue, DLQ) and acked */
  private readonly settling = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private unlisten: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** channels that closed: their unacked deliveries are the broker's again */
  private readonly deadChannels = new WeakSet<Channel>();
  private readonly link: AmqpLink;
  private readonly spec: ConsumerSpec;
  private readonly fullQueue: string;
  readonly queue: string;

  private readonly stopping = new AbortController();

  constructor(private readonly opts: RabbitSubscriptionOptions) {
    this.link = opts.link;
    this.spec = { ...opts.spec, signal: this.stopping.signal };
    this.fullQueue = opts.fullQueue;
    this.queue = opts.spec.queue;
  }

  /** Every retry delay this consumer's policy can ask for (one retry queue each). */
  get retryDelays(): number[] {
    return retryDelays(this.spec.policy);
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
    ch.on('close', () => {
      this.deadChannels.add(ch);
      this.channelClosed(ch);
    });
    const q = this.fullQueue;
    await ch.prefetch(this.spec.policy.prefetch);
    await declareConsumerQueue(ch, q, this.opts.bindings, this.spec.policy);
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
    // The channel died meanwhile: the broker hands the message out again, marked redelivered and counted as
    // an attempt; moving it on as well would make a second copy.
    if (this.deadChannels.has(ch)) return;
    const settle = this.settle(ch, msg, decision);
    this.settling.add(settle);
    try {
      await settle;
    } finally {
      this.settling.delete(settle);
    }
  }

  private async settle(ch: Channel, msg: ConsumeMessage, decision: Decision) {
    try {
      if (decision.action === 'retry') {
        await this.opts.publisher.sendToQueue(
          retryQueueOf(this.fullQueue, decision.delayMs),
          msg.content,
          carriedProperties(msg, decision.headers),
        );
      } else if (decision.action === 'dead-letter') {
        await this.opts.publisher.sendToQueue(
          dlqOf(this.fullQueue),
          msg.content,
          carriedProperties(msg, decision.headers),
        );
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

  /**
   * Fault tests: the consumer dies with its deliveries unacked, as a killed process would. Its channel closes
   * without settling them, the broker hands them out again marked redelivered, whatever the handlers still
   * running decide is dropped, and this subscription consumes again on a new channel (as a restarted process).
   */
  async abandon(): Promise<void> {
    // What was decided before the death is moved on and acked first. A real death between a move's publish
    // and its ack leaves the broker a second copy of that message (one more attempt on the way to the DLQ);
    // a test that kills the consumer once per delivery of one message must not get that by chance (a retried
    // copy can come back before the confirm of the publish that made it, and kill the consumer then).
    await Promise.allSettled([...this.settling]);
    const ch = this.channel;
    if (ch) await ch.close().catch(() => {});
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort(); // deliveries held for the database go back to the queue
      this.unlisten?.();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      await this.chain;
      const ch = this.channel;
      if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => {});
      await Promise.allSettled([...this.inFlight]);
      this.channel = undefined;
      if (ch) await ch.close().catch(() => {});
      this.opts.onClosed();
    })();
    return this.closing;
  }
}
