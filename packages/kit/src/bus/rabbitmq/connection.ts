// One AMQP connection that comes back after the broker drops it (backoff 100 ms → 5 s) and tells its users when it does.
import { type ChannelModel, connect } from 'amqplib';
import { Unavailable } from '../../errors.js';
import type { Logger } from '../../logger.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface LinkOptions {
  url: string;
  name: string;
  logger: Logger;
  connectTimeoutMs: number;
}

/** The broker URL with an AMQP heartbeat, so a dead peer is noticed (unless the URL sets its own). */
export function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/** One AMQP connection that comes back after the broker drops it, and tells its users when it does. */
export class AmqpLink {
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
