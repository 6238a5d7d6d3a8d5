// A user's notices, live: the tickets that open a stream from a browser, opening one (with what was missed since
// Last-Event-ID), and the notices every instance receives over the fan-out (a catch-up after the fan-out was down).
import { createHash, randomBytes } from 'node:crypto';
import { type Cache, type Db, type Logger, type Principal, Unauthorized } from '@microbazaar/kit';
import { type LiveFanout, liveNotice } from '../adapters/live.js';
import { noticeStore } from '../store/notices.js';
import type { StreamClient, StreamHub } from './streams.js';

/** notices written to a reconnecting (or catching-up) stream at most (older ones are in the list) */
export const REPLAY_LIMIT = 200;

export interface LiveDeps {
  db: Db;
  /** where tickets wait to be taken */
  cache: Cache;
  hub: StreamHub;
  fanout: LiveFanout;
  logger: Logger;
  ticketTtlSeconds: number;
}

const ticketKey = (ticket: string) => `stream-ticket:${createHash('sha256').update(ticket).digest('base64url')}`;

export function createLive({ db, cache, hub, fanout, logger, ticketTtlSeconds }: LiveDeps) {
  const notices = noticeStore(db);
  return {
    /** A single-use ticket for the principal's stream; it never outlives the token it was issued for. */
    async issueTicket(principal: Principal): Promise<{ ticket: string; expiresAt: string }> {
      const ticket = randomBytes(24).toString('base64url');
      const ttlMs = Math.min(ticketTtlSeconds * 1000, principal.exp * 1000 - Date.now());
      if (ttlMs <= 0) throw new Unauthorized('Token expired', 'TOKEN_EXPIRED');
      await cache.set(ticketKey(ticket), JSON.stringify(principal), ttlMs);
      return { ticket, expiresAt: new Date(Date.now() + ttlMs).toISOString() };
    },

    /**
     * The principal a ticket was issued to, taken (read and deleted at once), so a URL that leaked (a log, a
     * referrer, history) opens nothing; null for an unknown or expired ticket.
     */
    async takeTicket(ticket: string): Promise<Principal | null> {
      const stored = await cache.take(ticketKey(ticket));
      return stored ? (JSON.parse(stored) as Principal) : null;
    },

    /**
     * Opens a user's stream: `retry`, `ready` {unread}, then the notices after `after` (Last-Event-ID), then the
     * live ones. Registered before the database is read, so nothing published meanwhile is lost (it is held back).
     */
    async open(userId: string, after: number | undefined, retryMs: number): Promise<StreamClient> {
      const client = hub.open(userId);
      try {
        const [feed, missed] = await Promise.all([
          notices.feedState(userId),
          after === undefined ? Promise.resolve([]) : notices.after(userId, after, REPLAY_LIMIT),
        ]);
        client.stream.write(`retry: ${retryMs}\n\n`);
        client.event('ready', { unread: feed.unread });
        client.replay(missed.map(liveNotice), after ?? feed.lastSeq);
      } catch (err) {
        client.close();
        throw err;
      }
      return client;
    },

    /**
     * Listens to the fan-out: every notice goes to its user's streams on this instance. Not awaited: a Redis that
     * is down must not hold the start (readiness says so); once (re)subscribed, the open streams read what was
     * published meanwhile from the database.
     */
    listen(): void {
      const catchUp = () =>
        hub
          .catchUp(async (from) => (await notices.afterEach(from, REPLAY_LIMIT)).map(liveNotice))
          .catch((err: unknown) =>
            logger.warn({ err: (err as Error).message }, 'live notices: catch-up failed, open streams were ended'),
          );
      fanout.listen((items) => hub.deliver(items), catchUp);
    },
  };
}

export type Live = ReturnType<typeof createLive>;
