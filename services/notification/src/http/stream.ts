// The live stream (server-sent events) and the short-lived tickets that open it from a browser.
import { createHash, randomBytes } from 'node:crypto';
import type { PassThrough } from 'node:stream';
import {
  type App,
  type Cache,
  type Db,
  errorResponses,
  type FastifyRequest,
  type Principal,
  principalOf,
  Unauthorized,
} from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { liveNotice } from '../live/fanout.js';
import type { StreamHub } from '../live/hub.js';
import { noticeStore } from '../store/notices.js';
import type { Access } from './access.js';
import { StreamQuery, Ticket } from './schemas.js';

export const STREAM_PATH = '/api/notifications/stream';
/** notices written to a reconnecting (or catching-up) stream at most (older ones are in the list) */
export const REPLAY_LIMIT = 200;
/** how long a browser waits before reconnecting after the stream drops */
const RETRY_MS = 3000;

export interface StreamDeps {
  db: Db;
  cache: Cache;
  hub: StreamHub;
  access: Access;
  ticketTtlSeconds: number;
}

const ticketKey = (ticket: string) => `stream-ticket:${createHash('sha256').update(ticket).digest('base64url')}`;

function lastEventId(req: FastifyRequest, query: { lastEventId?: string | undefined }): number | undefined {
  const raw = req.headers['last-event-id'] ?? query.lastEventId;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export function streamRoutes(app: App, deps: StreamDeps) {
  const { db, cache, hub, access } = deps;
  const notices = noticeStore(db);
  const common = { tags: ['notifications'] };

  app.post(
    '/api/notifications/tickets',
    {
      preHandler: access.user,
      schema: {
        ...common,
        security: [{ bearerAuth: [] }],
        summary:
          'A short-lived, single-use ticket that opens my stream (EventSource cannot send an Authorization header)',
        response: { 201: Ticket, ...errorResponses(401, 503) },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      const ticket = randomBytes(24).toString('base64url');
      // never outlives the token it was issued for
      const ttlMs = Math.min(deps.ticketTtlSeconds * 1000, principal.exp * 1000 - Date.now());
      if (ttlMs <= 0) throw new Unauthorized('Token expired', 'TOKEN_EXPIRED');
      await cache.set(ticketKey(ticket), JSON.stringify(principal), ttlMs);
      return reply.status(201).send({
        ticket,
        expiresAt: new Date(Date.now() + ttlMs).toISOString(),
        url: `${STREAM_PATH}?ticket=${ticket}`,
      });
    },
  );

  /**
   * The bearer token, or a ticket from the query. A ticket opens one stream: it is taken (read and deleted at
   * once), so a URL that leaked (a log, a referrer, history) opens nothing; a reconnect asks for a new one.
   */
  const authenticate = async (req: FastifyRequest, ticket: string | undefined): Promise<Principal> => {
    if (req.headers.authorization) return access.guards.authenticate(req);
    if (!ticket) throw new Unauthorized('A token or a stream ticket is required');
    const stored = await cache.take(ticketKey(ticket));
    if (!stored) throw new Unauthorized('Unknown or expired stream ticket', 'INVALID_TICKET');
    const principal = JSON.parse(stored) as Principal;
    // a ticket is no way around a revocation that came after it was issued
    await access.guards.verifier.recheck?.(principal);
    req.principal = principal;
    return principal;
  };

  app.get(
    STREAM_PATH,
    {
      schema: {
        ...common,
        summary: 'My notices, live (server-sent events)',
        description:
          'Authenticate with `Authorization: Bearer` or `?ticket=` from POST /api/notifications/tickets (one stream ' +
          'per ticket: a reconnect asks for a new one). Events: ' +
          '`ready` {unread}, `notification` (a notice; its id is the SSE event id, send it back as Last-Event-ID ' +
          'to get what was missed), `expired` when the credential runs out. Comment frames keep the stream open.',
        querystring: StreamQuery,
        response: {
          200: Type.Unsafe<PassThrough>({ type: 'string', description: 'text/event-stream' }),
          ...errorResponses(400, 401, 503),
        },
      },
    },
    async (req, reply) => {
      const principal = await authenticate(req, req.query.ticket);
      await access.learn(principal);
      const after = lastEventId(req, req.query);
      // registered first, so nothing published while the replay is read is lost (it is held back)
      const client = hub.open(principal.userId);
      try {
        const [feed, missed] = await Promise.all([
          notices.feedState(principal.userId),
          after === undefined ? Promise.resolve([]) : notices.after(principal.userId, after, REPLAY_LIMIT),
        ]);
        client.stream.write(`retry: ${RETRY_MS}\n\n`);
        client.event('ready', { unread: feed.unread });
        client.replay(missed.map(liveNotice), after ?? feed.lastSeq);
      } catch (err) {
        client.close();
        throw err;
      }
      client.expireAt(principal.exp * 1000);
      // the response closes when the client goes away (or the stream ends): forget the client
      reply.raw.once('close', () => client.close());
      if (reply.raw.destroyed) client.close();
      // a stream is idle between notices: no socket timeout (the pings keep proxies from closing it)
      req.socket.setTimeout(0);
      req.socket.setNoDelay(true);
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(client.stream);
    },
  );
}
