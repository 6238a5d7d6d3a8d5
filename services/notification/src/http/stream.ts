// The live stream (server-sent events) and the short-lived tickets that open it from a browser.
import type { PassThrough } from 'node:stream';
import {
  type App,
  errorResponses,
  type FastifyRequest,
  type Principal,
  principalOf,
  Unauthorized,
} from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import type { Live } from '../usecases/live.js';
import type { Access } from './access.js';
import { StreamQuery, Ticket } from './schemas.js';

export const STREAM_PATH = '/api/notifications/stream';
/** how long a browser waits before reconnecting after the stream drops */
const RETRY_MS = 3000;

export interface StreamDeps {
  live: Live;
  access: Access;
}

function lastEventId(req: FastifyRequest, query: { lastEventId?: string | undefined }): number | undefined {
  const raw = req.headers['last-event-id'] ?? query.lastEventId;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export function streamRoutes(app: App, deps: StreamDeps) {
  const { live, access } = deps;
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
      const { ticket, expiresAt } = await live.issueTicket(principalOf(req));
      return reply.status(201).send({ ticket, expiresAt, url: `${STREAM_PATH}?ticket=${ticket}` });
    },
  );

  /**
   * The bearer token, or a ticket from the query. A ticket opens one stream: it is taken (read and deleted at
   * once), so a URL that leaked (a log, a referrer, history) opens nothing; a reconnect asks for a new one.
   */
  const authenticate = async (req: FastifyRequest, ticket: string | undefined): Promise<Principal> => {
    if (req.headers.authorization) return access.guards.authenticate(req);
    if (!ticket) throw new Unauthorized('A token or a stream ticket is required');
    const principal = await live.takeTicket(ticket);
    if (!principal) throw new Unauthorized('Unknown or expired stream ticket', 'INVALID_TICKET');
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
      const client = await live.open(principal.userId, after, RETRY_MS);
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
