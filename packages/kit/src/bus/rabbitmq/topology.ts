// What lives on the broker: the consumer queues with their retry queues and DLQ, declared and deleted, and the DLQ operations.
import { EXCHANGES, exchangesForPattern } from '@microbazaar/contracts';
import type { Channel } from 'amqplib';
import { replayHeaders, retryDelays, toDeadLetter } from '../consume.js';
import type { DeadLetterQueues, RetryPolicy } from '../types.js';
import type { AmqpLink } from './connection.js';
import { type ConfirmPublisher, carriedProperties } from './publisher.js';

export interface Binding {
  /** the prefixed exchange */
  exchange: string;
  pattern: string;
}

export const dlqOf = (queue: string) => `${queue}.dlq`;
export const retryQueueOf = (queue: string, delayMs: number) => `${queue}.retry.${delayMs}`;

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404;
}

/**
 * Declares a consumer's queue, its DLQ and one retry queue per delay (each dead-lettering back onto the
 * queue when its TTL runs out), and binds the queue: what a subscription does on every (re)connect.
 */
export async function declareConsumerQueue(
  ch: Channel,
  queue: string,
  bindings: readonly Binding[],
  policy: RetryPolicy,
): Promise<void> {
  for (const exchange of new Set(bindings.map((b) => b.exchange)))
    await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.assertQueue(queue, { durable: true });
  await ch.assertQueue(dlqOf(queue), { durable: true });
  for (const delay of retryDelays(policy)) {
    // one queue per delay: a per-queue TTL never holds a short delay behind a long one
    await ch.assertQueue(retryQueueOf(queue, delay), {
      durable: true,
      arguments: { 'x-message-ttl': delay, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
  for (const b of bindings) await ch.bindQueue(queue, b.exchange, b.pattern);
}

export interface TopologyOptions {
  link: AmqpLink;
  publisher: ConfirmPublisher;
  prefix: string;
  /** the bus's default policy (its retry queues are deleted by deleteTopology) */
  policy: RetryPolicy;
  timeoutMs: number;
}

/** The bus's view of its topology: what it declared, for deleting it again (tests), and its dead-letter queues. */
export class RabbitTopology {
  readonly declaredQueues = new Set<string>();
  /** retry delays used by subscriptions (for deleteTopology) */
  readonly extraDelays = new Set<number>();

  constructor(private readonly opts: TopologyOptions) {}

  private exchange(name: string): string {
    return this.opts.prefix + name;
  }

  /** A plain channel on the publishing connection for one job, closed after it. */
  async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = await this.opts.link.get(this.opts.timeoutMs);
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      // closing the channel returns every message we peeked at and did not ack to its queue
      await ch.close().catch(() => {});
    }
  }

  /** Declares consumer queues and their bindings ahead of the consumers; returns the queues declared. */
  declare(topology: Readonly<Record<string, readonly string[]>>): Promise<string[]> {
    return this.withChannel(async (ch) => {
      for (const ex of EXCHANGES) await ch.assertExchange(this.exchange(ex), 'topic', { durable: true });
      const declared: string[] = [];
      for (const [name, patterns] of Object.entries(topology)) {
        const queue = this.opts.prefix + name;
        await ch.assertQueue(queue, { durable: true });
        await ch.assertQueue(dlqOf(queue), { durable: true });
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

  /** Deletes the declared queues plus the named `queues` (with retry queues and DLQs) and the exchanges. */
  delete(queues: readonly string[]): Promise<void> {
    return this.withChannel(async (ch) => {
      for (const q of new Set([...this.declaredQueues, ...queues.map((name) => this.opts.prefix + name)])) {
        await ch.deleteQueue(q);
        await ch.deleteQueue(dlqOf(q));
        for (const delay of new Set([...retryDelays(this.opts.policy), ...this.extraDelays]))
          await ch.deleteQueue(retryQueueOf(q, delay));
      }
      for (const ex of EXCHANGES) await ch.deleteExchange(this.exchange(ex));
    });
  }

  readonly deadLetters: DeadLetterQueues = {
    list: async (queue, opts = {}) => {
      const dlq = dlqOf(this.opts.prefix + queue);
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
      const target = this.opts.prefix + queue;
      const dlq = dlqOf(target);
      try {
        return await this.withChannel(async (ch) => {
          const { messageCount } = await ch.checkQueue(dlq);
          let replayed = 0;
          for (let i = 0; i < messageCount; i++) {
            const m = await ch.get(dlq, { noAck: false });
            if (!m) break;
            const headers = m.properties.headers ?? {};
            if (opts.id && toDeadLetter(m.content, headers, m.properties.messageId).id !== opts.id) continue;
            await this.opts.publisher.sendToQueue(target, m.content, carriedProperties(m, replayHeaders(headers)));
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
        return await this.withChannel(
          async (ch) => (await ch.purgeQueue(dlqOf(this.opts.prefix + queue))).messageCount,
        );
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    },
  };
}
