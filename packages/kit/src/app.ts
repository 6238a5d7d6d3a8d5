// Fastify app factory: TypeBox, request ids, error mapping, health, metrics and OpenAPI, the same in every service.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { isConnectionError, isDataError } from './db.js';
import { AppError, type ErrorDetail, errorBody, Invalid } from './errors.js';
import type { Logger } from './logger.js';
import { createHttpMetrics, type Metrics } from './metrics.js';
import { namedComponents } from './openapi.js';
import { traceRequests } from './telemetry.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type ReadinessCheck = () => Promise<unknown>;

export interface AppOptions {
  name: string;
  logger: Logger;
  version?: string;
  description?: string;
  bodyLimit?: number;
  /** TRUST_PROXY as configured: `true`/`false`, a hop count, or addresses/ranges (`loopback,10.0.0.0/8`) */
  trustProxy?: string | boolean | number;
  /** whole-request limit; raise it for services taking large uploads from slow clients */
  requestTimeoutMs?: number;
  /** Named checks for /health/ready: db, cache, bus... */
  readiness?: Record<string, ReadinessCheck>;
  /** Paths that should not appear in /metrics route labels or the OpenAPI document. */
  openapi?: boolean;
  /**
   * The public edge (the gateway): /health/ready names the failed checks without their error texts (they
   * are logged), and /metrics is served only to `Authorization: Bearer <metricsToken>` (not at all without one).
   */
  publicEdge?: { metricsToken?: string | undefined };
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
    /** Set while the service drains on SIGTERM: readiness answers 503. */
    draining: boolean;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

const hookList = (hooks: unknown): unknown[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);

/**
 * A route without a body schema takes no body fields: a JSON object with fields or an array is
 * refused like an unknown field would be. Other bodies (streams, raw webhook payloads, multipart
 * read by the route itself) are the route's to read.
 */
async function rejectBodyFields(req: FastifyRequest): Promise<void> {
  const body = req.body;
  const fields = Array.isArray(body)
    ? ['0']
    : body !== null && typeof body === 'object' && Object.getPrototypeOf(body) === Object.prototype
      ? Object.keys(body)
      : [];
  if (fields.length === 0) return;
  const details = fields.slice(0, 10).map((f) => ({ path: `body/${f}`, message: 'unknown field' }));
  throw new Invalid(`Invalid ${details[0]!.path}: unknown field`, details, 'VALIDATION_FAILED');
}

/** The contract rejects unknown body fields: close every object schema that does not say otherwise. */
export function closeObjects(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && s.additionalProperties === undefined && s.patternProperties === undefined) {
    s.additionalProperties = false;
  }
  for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) {
    const children = s[key];
    if (children && typeof children === 'object') for (const child of Object.values(children)) closeObjects(child);
  }
  for (const key of ['items', 'not', 'if', 'then', 'else']) closeObjects(s[key]);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const children = s[key];
    if (Array.isArray(children)) for (const child of children) closeObjects(child);
  }
}

function validationDetails(err: FastifyError): ErrorDetail[] {
  const context = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const where = `${context}${v.instancePath ?? ''}`;
    if (v.keyword === 'additionalProperties') {
      return { path: `${where}/${String(params.additionalProperty)}`, message: 'unknown field' };
    }
    if (v.keyword === 'required') {
      return { path: `${where}/${String(params.missingProperty)}`, message: 'is required' };
    }
    return { path: where, message: v.message ?? 'is invalid' };
  });
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'Request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON', 'Body is empty but content-type is application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', 'Body is not valid JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST', 'Content-Length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'BAD_REQUEST', 'Invalid content-type'],
  FST_ERR_BAD_URL: [400, 'BAD_URL', 'The URL is malformed'],
};

export function toErrorReply(
  err: FastifyError | Error,
  req: FastifyRequest,
): { status: number; body: ReturnType<typeof errorBody>; headers?: Record<string, string> } {
  if (err instanceof AppError) {
    return { status: err.statusCode, body: errorBody(err, req.id), ...(err.headers ? { headers: err.headers } : {}) };
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const details = validationDetails(fe);
    const first = details[0];
    const message = first ? `Invalid ${first.path}: ${first.message}` : 'Invalid input';
    return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message, details, requestId: req.id } } };
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { status: known[0], body: { error: { code: known[1], message: known[2], requestId: req.id } } };
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return {
      status: 400,
      body: { error: { code: 'INVALID_JSON', message: 'Body is not valid JSON', requestId: req.id } },
    };
  }
  if (isConnectionError(err)) {
    return {
      status: 503,
      body: {
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'A dependency is unavailable, try again shortly',
          requestId: req.id,
        },
      },
      headers: { 'retry-after': '5' },
    };
  }
  if (isDataError(err)) {
    return {
      status: 400,
      body: {
        error: {
          code: 'INVALID_INPUT',
          message: 'A value in the request cannot be stored or compared (out of range or invalid characters)',
          requestId: req.id,
        },
      },
    };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    return { status, body: { error: { code, message: 'The request could not be processed', requestId: req.id } } };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL_ERROR', message: 'Internal server error', requestId: req.id } },
  };
}

export async function createApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    // a string keeps Fastify's overloads apart; the real value is a boolean, a list or a hop-count function
    trustProxy: trustProxyOption(parseTrustProxy(opts.trustProxy ?? 'loopback')) as string,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: opts.requestTimeoutMs ?? 60_000,
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true },
    // errors Fastify meets before routing (a malformed %-escape in the URL) get the same body
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply;
      const { status, body } = toErrorReply(err, req as unknown as FastifyRequest);
      reply.header('x-request-id', req.id).status(status).send(body);
    },
    // a request node cannot even parse: answer in kind and close, never a bare socket reset
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return socket.destroy(err);
      const status = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({
        error: { code: status === 431 ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST', message: 'Malformed HTTP request' },
      });
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const strictAjv = makeAjv(false);
  const coercingAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strictAjv.compile(schema) : coercingAjv.compile(schema),
  );

  app.decorate('metrics', createHttpMetrics(opts.name));
  app.decorate('draining', false);
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    if (route.schema?.body) closeObjects(route.schema.body);
    else route.preValidation = [...hookList(route.preValidation), rejectBodyFields] as typeof route.preValidation;
  });

  // SERVER spans when listen() started tracing (OTEL_EXPORTER_OTLP_ENDPOINT); otherwise a no-op
  traceRequests(app);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // draining: each keep-alive connection closes after its answer, so clients (the gateway's pools, a
    // load balancer) open their next one elsewhere instead of racing the port's close
    if (app.draining) reply.header('connection', 'close');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    app.metrics.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // the path only: a query string can carry a credential (a stream ticket, a reset token) into the logs
    if (reply.statusCode >= 500) {
      req.log.warn(
        { method: req.method, path: pathOf(req.url), status: reply.statusCode, ms: reply.elapsedTime },
        'request failed',
      );
    } else if (opts.logger.isLevelEnabled('debug')) {
      req.log.debug(
        { method: req.method, path: pathOf(req.url), status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body, headers } = toErrorReply(err, req);
    if (status >= 500 && status !== 503 && status !== 504) {
      req.log.error({ err }, 'unhandled error');
    } else if (status === 503) {
      req.log.warn(
        { err: { message: err.message, code: (err as FastifyError).code, cause: String(err.cause ?? '') } },
        'dependency unavailable',
      );
    }
    if (headers) reply.headers(headers);
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: {
        code: 'ROUTE_NOT_FOUND',
        message: `No route for ${req.method} ${pathOf(req.url)}`,
        requestId: req.id,
      },
    }),
  );

  if (opts.openapi !== false) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: `microBazaar ${opts.name}`,
          version: opts.version ?? '0.1.0',
          description: opts.description ?? '',
        },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      // titled schemas (the error body, Money, resources) are defined once and referenced
      transformObject: (document) =>
        'openapiObject' in document
          ? namedComponents(document.openapiObject as Record<string, unknown>)
          : document.swaggerObject,
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'ok', service: opts.name }));

  app.get('/health/ready', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    let ok = !app.draining;
    await Promise.all(
      Object.entries(opts.readiness ?? {}).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000, `${name} check timed out`);
          checks[name] = 'ok';
        } catch (err) {
          ok = false;
          // on the public edge the reason (addresses, hostnames) goes to the log, not to whoever asks
          if (opts.publicEdge) {
            checks[name] = 'down';
            app.log.warn({ check: name, err: (err as Error).message }, 'readiness check failed');
          } else {
            checks[name] = `down: ${(err as Error).message}`;
          }
        }
      }),
    );
    if (app.draining) checks.shutdown = 'draining';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', service: opts.name, checks });
  });

  const metricsToken = opts.publicEdge ? opts.publicEdge.metricsToken : undefined;
  if (!opts.publicEdge || metricsToken) {
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (metricsToken !== undefined && !sameSecret(bearerOf(req.headers.authorization), metricsToken)) {
        return reply
          .status(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: { code: 'UNAUTHORIZED', message: 'Metrics need the metrics token', requestId: req.id } });
      }
      reply.header('content-type', app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    });
  }

  return app;
}

/** A URL's path without its query string: what may be logged. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function bearerOf(header: string | undefined): string {
  const match = header ? /^Bearer (.+)$/i.exec(header.trim()) : null;
  return match?.[1] ?? '';
}

/** Compares a presented secret with the configured one in constant time (by their SHA-256). */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** TRUST_PROXY as Fastify reads it: true/false, a hop count, or a list of addresses and ranges. */
export function parseTrustProxy(value: string | boolean | number): string | boolean | number {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

/**
 * What Fastify is given. A hop count becomes "the n nearest hops are proxies" (Fastify 5.12 reads a bare
 * number as trusting nobody): right only when every request comes through exactly that many proxies.
 */
function trustProxyOption(
  value: string | boolean | number,
): string | boolean | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value;
  return (_address, hop) => hop < value;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type { FastifyReply, FastifyRequest };
