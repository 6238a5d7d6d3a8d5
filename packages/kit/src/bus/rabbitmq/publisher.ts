// Publishing with confirms: one confirm channel on the publishing connection, batches confirmed in one round of acks.
import { EXCHANGES } from '@microbazaar/contracts';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from '../../logger.js';
import { PublishError } from '../types.js';
import type { AmqpLink } from './connection.js';

export interface Outbound {
  id: string;
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** Keeps the AMQP properties a message travels with when it is moved to a retry queue, the DLQ or back. */
export function carriedProperties(msg: { properties: ConsumeMessage['properties'] }, headers: Record<string, string>) {
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

export interface PublisherOptions {
  link: AmqpLink;
  logger: Logger;
  /** how long a send waits for a connection and its confirms */
  timeoutMs: number;
  /** the (prefixed) name of a domain exchange */
  exchange: (name: string) => string;
}

/** Sends batches on a confirm channel it opens (and re-opens after a drop), declaring the exchanges first. */
export class ConfirmPublisher {
  private confirm: Promise<ConfirmChannel> | undefined;
  private closed = false;

  constructor(private readonly opts: PublisherOptions) {}

  /** The confirm channel, opened on first use and after it closed. */
  channel(timeoutMs = this.opts.timeoutMs): Promise<ConfirmChannel> {
    if (!this.confirm) {
      const opening: Promise<ConfirmChannel> = (async () => {
        const model = await this.opts.link.get(timeoutMs);
        const ch = await model.createConfirmChannel();
        ch.setMaxListeners(0); // each batch in flight waits on 'close'
        ch.on('error', (err: Error) => this.opts.logger.warn({ err: err.message }, 'RabbitMQ publish channel error'));
        ch.on('close', () => {
          if (this.confirm === opening) this.confirm = undefined;
        });
        for (const ex of EXCHANGES) await ch.assertExchange(this.opts.exchange(ex), 'topic', { durable: true });
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
      ch = await this.channel();
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
        Math.max(100, this.opts.timeoutMs - (Date.now() - started)),
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

  /** Straight onto a queue through the default exchange (retry, DLQ, replay), confirmed. */
  sendToQueue(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    return this.send([{ id: options.messageId ?? 'message', exchange: '', routingKey: queue, content, options }]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const confirm = this.confirm;
    this.confirm = undefined;
    if (confirm) await confirm.then((ch) => ch.close()).catch(() => {});
  }
}
