// The proxy hop: every route entry onto its upstream's pool (adapters/upstreams.ts), bodies streamed both
// ways, failures answered with the error body.
import type { IncomingHttpHeaders } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import {
  type App,
  AppError,
  clientKey,
  currentTraceHeaders,
  type FastifyReply,
  type FastifyRequest,
  GatewayTimeout,
  type Guards,
  PayloadTooLarge,
  type RateLimiter,
  TooMany,
  Unavailable,
} from '@microbazaar/kit';
import type { Dispatcher } from 'undici';
import type { Upstream, Upstreams } from '../adapters/upstreams.js';
import { type RouteEntry, tokenRule } from '../domain/routes.js';

export interface ProxyOptions {
  routes: readonly RouteEntry[];
  upstreams: Upstreams;
  guards: Guards;
  /** absent when rate limiting is off */
  limiter: RateLimiter | undefined;
  timeoutMs: number;
  bodyLimit: number;
  /** multipart/form-data bodies on entries that take uploads */
  uploadLimit: number;
  /** how long an upload's service may take to answer (renditions and storage of every image) */
  uploadTimeoutMs: number;
}

const isMultipart = (req: FastifyRequest) => /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');

// Hop-by-hop headers (RFC 9110 7.6.1) plus the ones the gateway sets itself; `expect` is answered by node.
const REQUEST_SKIP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
  'http2-settings',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  // other ways of naming the client: services read only the X-Forwarded-For the gateway sets
  'forwarded',
  'x-real-ip',
  'x-client-ip',
]);
const REQUEST_SKIP_BODYLESS: ReadonlySet<string> = new Set([...REQUEST_SKIP, 'content-length']);
// The gateway owns CORS: an upstream's own access-control headers would contradict it.
const RESPONSE_SKIP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
]);
const PROXIED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

const PLAIN_CONNECTION: ReadonlySet<string> = new Set(['keep-alive', 'Keep-Alive', 'close', 'Close']);

/** Headers named in `Connection` are hop-by-hop too. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value || PLAIN_CONNECTION.has(value)) return undefined;
  const names = new Set(value.split(',').map((s) => s.trim().toLowerCase()));
  names.delete('close');
  names.delete('keep-alive');
  return names.size ? names : undefined;
}

function forwardHeaders(req: FastifyRequest, hasBody: boolean): IncomingHttpHeaders {
  const incoming = req.headers;
  const skip = hasBody ? REQUEST_SKIP : REQUEST_SKIP_BODYLESS;
  const named = connectionTokens(incoming.connection);
  const out: IncomingHttpHeaders = {};
  for (const name in incoming) {
    if (skip.has(name) || name.startsWith('proxy-') || named?.has(name)) continue;
    out[name] = incoming[name];
  }
  // the address the gateway resolved (its TRUST_PROXY decides how far to believe a load balancer in
  // front), replacing whatever the client wrote: services trust the gateway's word and nothing older
  out['x-forwarded-for'] = req.ip;
  out['x-forwarded-proto'] = req.protocol;
  out['x-forwarded-host'] = req.host;
  out['x-request-id'] = req.id;
  // with tracing on the upstream continues the gateway's span; otherwise the client's traceparent passes as it came
  const trace = currentTraceHeaders();
  if (trace.traceparent) {
    out.traceparent = trace.traceparent;
    if (trace.tracestate) out.tracestate = trace.tracestate;
    else delete out.tracestate;
  }
  return out;
}

function copyResponseHeaders(reply: FastifyReply, headers: IncomingHttpHeaders): void {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || RESPONSE_SKIP.has(name)) continue;
    if (name === 'vary') {
      const ours = reply.getHeader('vary');
      reply.header('vary', ours ? `${String(ours)}, ${String(value)}` : value);
    } else {
      reply.header(name, value);
    }
  }
}

class ClientGone extends Error {
  override readonly name = 'ClientGone';
}

/** Counts the body (chunked ones have no announced length) and fails it once it passes the limit. */
class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new PayloadTooLarge());
    else done(null, chunk);
  }
}

/**
 * The stream handed to undici. undici destroys the body it is given when the upstream fails, and
 * destroying the client's request would take its socket down before it hears the 503/504.
 */
function upstreamBody(raw: Readable, limit: number): Readable {
  const counted = new BodyLimit(limit);
  raw.pipe(counted);
  raw.once('close', () => {
    if (!raw.readableEnded) counted.destroy(new ClientGone('client closed the request'));
  });
  return counted;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT']);

function upstreamFailure(err: unknown, upstream: Upstream, req: FastifyRequest): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return new GatewayTimeout(`The ${upstream.name} service did not answer in time`);
  // the client went away or sent less than it announced: nobody to tell that the upstream is down
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' || err instanceof ClientGone || req.socket.destroyed) {
    return new AppError(400, 'BAD_REQUEST', 'The request body ended early or did not match its content-length');
  }
  return new Unavailable(`The ${upstream.name} service is unavailable, try again shortly`, 'UPSTREAM_UNAVAILABLE', err);
}

/** Registers every route entry; call through app.register so the body parsers stay in this context. */
export async function proxyRoutes(app: App, opts: ProxyOptions): Promise<void> {
  const { guards, limiter, timeoutMs } = opts;

  // Hand the raw request stream through: the upstream parses and validates its own bodies.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  // Open streams (server-sent events) end when the gateway drains, so clients reconnect elsewhere.
  const openStreams = new Set<Dispatcher.ResponseData['body']>();
  app.addHook('preClose', async () => {
    for (const body of openStreams) body.destroy();
  });

  let warnedAt = 0;
  const rateLimit = async (limiter: RateLimiter, req: FastifyRequest) => {
    try {
      await limiter.consume(clientKey(req.ip));
    } catch (err) {
      if (err instanceof TooMany) throw err;
      // fail open: a cache outage must not turn away every customer
      if (Date.now() - warnedAt > 10_000) {
        warnedAt = Date.now();
        req.log.warn({ err: (err as Error).message }, 'rate limit cache unavailable, letting requests through');
      }
    }
  };

  for (const entry of opts.routes) {
    const upstream = opts.upstreams.get(entry.upstream);
    if (!upstream) throw new Error(`route ${entry.prefix}: upstream ${entry.upstream} is not configured`);
    const needsToken = tokenRule(entry);
    const stream = entry.stream === true;
    const bodyTimeout = stream ? 0 : timeoutMs;

    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const upload = entry.uploads === true && isMultipart(req);
      const bodyLimit = upload ? opts.uploadLimit : opts.bodyLimit;
      const length = req.headers['content-length'];
      if (length !== undefined && Number(length) > bodyLimit) {
        reply.header('connection', 'close');
        throw new PayloadTooLarge(`Request body is larger than ${bodyLimit} bytes`);
      }
      if (limiter) await rateLimit(limiter, req);
      if (needsToken(req.method, req.url)) await guards.authenticate(req);

      const raw = req.body as Readable | undefined;
      const body = raw ? upstreamBody(raw, bodyLimit) : undefined;
      let res: Dispatcher.ResponseData;
      try {
        res = await upstream.pool.request({
          method: req.method as Dispatcher.HttpMethod,
          path: req.url,
          headers: forwardHeaders(req, body !== undefined),
          body: body ?? null,
          headersTimeout: upload ? opts.uploadTimeoutMs : timeoutMs,
          bodyTimeout,
        });
      } catch (err) {
        // an unread rest of the body would otherwise be drained before the next request on this socket
        if (raw && !raw.readableEnded) reply.header('connection', 'close');
        throw upstreamFailure(err, upstream, req);
      }
      if (stream) {
        req.socket.setTimeout(0);
        openStreams.add(res.body);
        res.body.once('close', () => openStreams.delete(res.body));
      }
      reply.code(res.statusCode);
      copyResponseHeaders(reply, res.headers);
      return reply.send(res.body);
    };

    // The route url is the metrics label: `/api/auth/*`, never the raw path.
    const config = { method: PROXIED_METHODS, exposeHeadRoute: false, schema: { hide: true }, handler };
    app.route({ ...config, url: entry.prefix });
    app.route({ ...config, url: `${entry.prefix}/*` });
  }
}
