// Correlation id and W3C trace context from the HTTP request into events and from events into handlers.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { App, FastifyRequest } from '../app.js';
import type { Logger } from '../logger.js';

/** What an event produced here inherits: the chain's correlation id, its cause, the trace. */
export interface EventContext {
  correlationId: string;
  /** id of the event being handled: becomes causationId of the events it produces */
  causationId?: string;
  traceparent?: string;
  tracestate?: string;
}

const storage = new AsyncLocalStorage<EventContext>();

export function runWithEventContext<T>(ctx: EventContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentEventContext(): EventContext | undefined {
  return storage.getStore();
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a W3C `traceparent` header; undefined when absent or malformed. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const m = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest)) return undefined;
  const sc: SpanContext = {
    traceId: traceId as string,
    spanId: spanId as string,
    traceFlags: Number.parseInt(flags as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Trace headers to send onward (outgoing HTTP, new events): the active OpenTelemetry span when an
 * SDK is registered, else the trace context this request or event arrived with.
 */
export function currentTraceHeaders(): Record<string, string> {
  const sc = trace.getActiveSpan()?.spanContext();
  if (sc && isSpanContextValid(sc)) {
    const state = sc.traceState?.serialize();
    return { traceparent: formatTraceparent(sc), ...(state ? { tracestate: state } : {}) };
  }
  const ctx = storage.getStore();
  if (!ctx?.traceparent) return {};
  return { traceparent: ctx.traceparent, ...(ctx.tracestate ? { tracestate: ctx.tracestate } : {}) };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The request id becomes the correlation id; a valid incoming traceparent is carried along. */
export function eventContextFromRequest(req: { id: string; headers: IncomingHttpHeaders }): EventContext {
  const traceparent = header(req.headers, 'traceparent');
  const tracestate = header(req.headers, 'tracestate');
  const valid = parseTraceparent(traceparent) ? traceparent : undefined;
  return {
    correlationId: req.id,
    ...(valid ? { traceparent: valid, ...(tracestate ? { tracestate } : {}) } : {}),
  };
}

const requestScopes = new WeakMap<FastifyRequest, AsyncResource>();

/**
 * Makes every route handler run inside its request's EventContext, so `newEvent()` picks up the
 * request id as correlationId without passing it around. The second hook re-enters the context
 * after body parsing, which runs on the socket's own async context.
 */
export function installEventContext(app: App): void {
  app.addHook('onRequest', (req, _reply, done) => {
    storage.run(eventContextFromRequest(req), () => {
      requestScopes.set(req, new AsyncResource('microbazaar.request'));
      done();
    });
  });
  app.addHook('preValidation', (req, _reply, done) => {
    const scope = requestScopes.get(req);
    if (scope) scope.runInAsyncScope(done);
    else done();
  });
}

/** A child logger carrying the current correlation id (the logger itself when there is none). */
export function contextLogger(log: Logger): Logger {
  const ctx = storage.getStore();
  return ctx ? log.child({ correlationId: ctx.correlationId }) : log;
}

const tracer = trace.getTracer('@microbazaar/kit/bus');

/**
 * Runs a handler inside a CONSUMER span whose parent is the message's traceparent. Without an
 * OpenTelemetry SDK the span is a no-op and the incoming trace context is passed on unchanged.
 */
export async function withConsumerSpan<T>(
  attrs: { queue: string; eventId: string; eventType: string; attempt: number },
  headers: Readonly<Record<string, string>>,
  fn: (trace: { traceparent?: string; tracestate?: string }) => Promise<T>,
): Promise<T> {
  const parent = parseTraceparent(headers.traceparent);
  const parentCtx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    `${attrs.queue} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation': 'process',
        'messaging.destination.name': attrs.queue,
        'messaging.message.id': attrs.eventId,
        'messaging.message.type': attrs.eventType,
        'messaging.delivery.attempt': attrs.attempt,
      },
    },
    parentCtx,
  );
  const sc = span.spanContext();
  const traceparent = isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
  const tracestate = headers.tracestate;
  try {
    const result = await context.with(trace.setSpan(parentCtx, span), () =>
      fn({ ...(traceparent ? { traceparent } : {}), ...(traceparent && tracestate ? { tracestate } : {}) }),
    );
    span.end();
    return result;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
    span.end();
    throw err;
  }
}
