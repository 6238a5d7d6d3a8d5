// Live notices between instances: Redis pub/sub when REDIS_URL is set, else in-process (embedded: one instance).

import type { Logger } from '@microbazaar/kit';
import { Redis } from 'ioredis';
import type { Notice } from '../store/notices.js';

/** A stored notice on its way to the user's open streams, on whichever instance holds them. */
export interface LiveNotice {
  userId: string;
  /** the notice's feed position: the SSE event id */
  seq: number;
  notice: Notice;
}

export type LiveListener = (items: LiveNotice[]) => void;

export interface LiveFanout {
  readonly kind: 'redis' | 'memory';
  /** Sends to every instance, this one included. */
  publish(items: LiveNotice[]): Promise<void>;
  /** Starts listening; resolves once subscribed. */
  subscribe(listener: LiveListener): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One process: a direct call, asynchronous like the network one. */
export function memoryFanout(): LiveFanout {
  const listeners = new Set<LiveListener>();
  return {
    kind: 'memory',
    async publish(items) {
      queueMicrotask(() => {
        for (const l of listeners) l(items);
      });
    },
    async subscribe(listener) {
      listeners.add(listener);
    },
    async ping() {},
    async close() {
      listeners.clear();
    },
  };
}

/**
 * Redis pub/sub on one channel: each instance receives every notice and writes those whose user
 * has a stream open there. A publish that fails (Redis down) loses only the live push: the notice
 * is stored, and a reconnecting stream replays it from Last-Event-ID.
 */
export function redisFanout(url: string, channel: string, logger: Logger): LiveFanout {
  const common = { connectTimeout: 2000, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
  // publishing fails fast while Redis is away; the subscriber queues its SUBSCRIBE and re-subscribes after a reconnect
  const pub = new Redis(url, { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000 });
  const sub = new Redis(url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });
  let warnedAt = 0;
  const quiet = () => {
    // both reconnect by themselves; one warning per 10 s is enough
    if (Date.now() - warnedAt > 10_000) {
      warnedAt = Date.now();
      logger.warn({ channel }, 'live notices: Redis unreachable, reconnecting');
    }
  };
  pub.on('error', quiet);
  sub.on('error', quiet);
  const ready = (client: Redis) =>
    client.status === 'ready'
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('Redis is unavailable')), 2000);
          client.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
  return {
    kind: 'redis',
    async publish(items) {
      await ready(pub);
      await pub.publish(channel, JSON.stringify(items));
    },
    async subscribe(listener) {
      sub.on('message', (from: string, text: string) => {
        if (from !== channel) return;
        try {
          listener(JSON.parse(text) as LiveNotice[]);
        } catch (err) {
          logger.warn({ err }, 'live notices: unreadable message dropped');
        }
      });
      await sub.subscribe(channel);
    },
    async ping() {
      await ready(pub);
      await pub.ping();
    },
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
