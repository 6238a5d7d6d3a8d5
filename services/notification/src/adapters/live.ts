// Live notices between instances: Redis pub/sub when REDIS_URL is set, else in-process (embedded: one instance).

import type { Logger } from '@microbazaar/kit';
import { Redis } from 'ioredis';
import { type Notice, presentNotice, type StoredNotice } from '../store/notices.js';

/** A stored notice on its way to the user's open streams, on whichever instance holds them. */
export interface LiveNotice {
  userId: string;
  /** the notice's feed position: the SSE event id */
  seq: number;
  notice: Notice;
}

export function liveNotice(n: StoredNotice): LiveNotice {
  return { userId: n.userId, seq: n.seq, notice: presentNotice(n) };
}

export type LiveListener = (items: LiveNotice[]) => void;

export interface LiveFanout {
  readonly kind: 'redis' | 'memory';
  /** Sends to every instance, this one included. */
  publish(items: LiveNotice[]): Promise<void>;
  /**
   * Starts listening without waiting for the connection (a Redis that is down must not hold the service's start).
   * `onSubscribed` runs each time the subscription is (re-)established: notices published while it was down
   * never arrived, so the open streams read them from the database.
   */
  listen(listener: LiveListener, onSubscribed?: () => void): void;
  /** Fails while notices cannot travel between instances (readiness). */
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
    listen(listener) {
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
 * is stored, and the streams catch up once the subscriber is back (or replay from Last-Event-ID).
 */
export function redisFanout(url: string, channel: string, logger: Logger): LiveFanout {
  const common = { connectTimeout: 2000, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
  // publishing fails fast while Redis is away; the subscriber reconnects and re-subscribes by itself (autoResubscribe)
  const pub = new Redis(url, { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000 });
  const sub = new Redis(url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });
  /** true while notices published by any instance reach this one */
  let subscribed = false;
  let everSubscribed = false;
  let closing = false;
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
  sub.on('close', () => {
    subscribed = false;
  });
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
    listen(listener, onSubscribed) {
      sub.on('message', (from: string, text: string) => {
        if (from !== channel) return;
        try {
          listener(JSON.parse(text) as LiveNotice[]);
        } catch (err) {
          logger.warn({ err }, 'live notices: unreadable message dropped');
        }
      });
      // on every (re)connection: the SUBSCRIBE that ioredis re-sends comes first on the connection, so once
      // this one is answered, notices flow again and whatever was published in between is in the database
      let confirming = false;
      const confirm = () => {
        // one at a time: a SUBSCRIBE cut off by a disconnect is re-sent by ioredis and answers after the reconnect
        if (confirming) return;
        confirming = true;
        sub.subscribe(channel).then(
          () => {
            confirming = false;
            if (closing) return;
            subscribed = true;
            if (everSubscribed) logger.info({ channel }, 'live notices: subscribed again, open streams catch up');
            everSubscribed = true;
            onSubscribed?.();
          },
          (err: unknown) => {
            confirming = false;
            // the connection dropped meanwhile: the next 'ready' tries again
            if (!closing) logger.warn({ err: (err as Error).message, channel }, 'live notices: subscribe failed');
          },
        );
      };
      sub.on('ready', confirm);
      if (sub.status === 'ready') confirm();
    },
    async ping() {
      if (!subscribed) throw new Error('not subscribed to Redis: notices from other instances do not arrive');
      await pub.ping();
    },
    async close() {
      closing = true;
      sub.disconnect();
      pub.disconnect();
    },
  };
}
