// OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: SERVER spans per request, exported over OTLP/HTTP.
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Context,
  context,
  createTraceState,
  DiagLogLevel,
  diag,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { BasicTracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { App, FastifyRequest } from './app.js';
import { parseTraceparent } from './bus/tracing.js';
import { type Env, loadEnv, TelemetryEnv } from './config.js';

type Logger = Pick<FastifyBaseLogger, 'warn' | 'child'>;

export interface Telemetry {
  /** false when OTEL_EXPORTER_OTLP_ENDPOINT is unset: nothing was started or loaded */
  readonly enabled: boolean;
  /** this service's tracer; a no-op one when disabled */
  readonly tracer: Tracer;
  /** Exports what is still buffered, then stops. Bounded, so a dead collector cannot hold up shutdown. */
  shutdown(): Promise<void>;
}

const noopProvider = new ProxyTracerProvider(); // without a delegate it hands out no-op tracers

// Services started in this process, oldest first. Several run here in `npm start`; the one process-wide
// tracer (bus spans) goes to the oldest still running, each service's requests to its own provider.
const running: SdkTracerProvider[] = [];
let globalsRegistered = false;

/**
 * The process-wide provider registered once with the API. It routes every span to a running service's
 * provider at the time the span starts, so tracers taken at import time (`trace.getTracer` in the bus)
 * keep working across a stop and a new start, and are no-ops when nothing is running.
 */
const router: TracerProvider = {
  getTracer(name, version, options) {
    const target = () => (running[0] ?? noopProvider).getTracer(name, version, options);
    return {
      startSpan: (spanName, spanOptions, ctx) => target().startSpan(spanName, spanOptions, ctx),
      startActiveSpan: ((...args: unknown[]) => {
        const tracer = target();
        return Reflect.apply(tracer.startActiveSpan, tracer, args);
      }) as Tracer['startActiveSpan'],
    };
  },
};

async function registerGlobals(logger: Logger | undefined): Promise<void> {
  if (globalsRegistered) return;
  globalsRegistered = true;
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  // false when the process already has an OpenTelemetry setup of its own (--import of an SDK): that one stays
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(router);
  if (logger) {
    // export failures would otherwise go nowhere
    const log = logger.child({ component: 'opentelemetry' });
    const quiet = () => {};
    diag.setLogger(
      {
        error: (msg, ...args) => log.warn({ args }, msg),
        warn: (msg, ...args) => log.warn({ args }, msg),
        info: quiet,
        debug: quiet,
        verbose: quiet,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }
}

const telemetrySchema = Type.Object(TelemetryEnv);

/**
 * Starts tracing for one service when OTEL_EXPORTER_OTLP_ENDPOINT is set: resource `service.name`
 * (OTEL_SERVICE_NAME wins over the service's own name), batch span processor, OTLP/HTTP exporter to
 * `<endpoint>/v1/traces`. The exporter reads the other standard OTEL_EXPORTER_OTLP_* variables
 * (headers, timeout, compression) itself. Unset: nothing is loaded and the API stays a no-op.
 */
export async function startTelemetry(opts: {
  serviceName: string;
  /** OTEL_* variables; the process environment when absent */
  env?: Env;
  logger?: Logger;
  /** how long shutdown waits for the last export */
  shutdownTimeoutMs?: number;
}): Promise<Telemetry> {
  const config = opts.env ? loadEnv(telemetrySchema, opts.env) : loadEnv(telemetrySchema);
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { enabled: false, tracer: noopProvider.getTracer(opts.serviceName), shutdown: async () => {} };

  const [
    { BatchSpanProcessor, BasicTracerProvider },
    { OTLPTraceExporter },
    { defaultResource, resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  await registerGlobals(opts.logger);
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? opts.serviceName }),
    ),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  running.push(provider);
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer('@microbazaar/kit'),
    shutdown() {
      stopping ??= (async () => {
        const at = running.indexOf(provider);
        if (at >= 0) running.splice(at, 1);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('span export did not finish')), opts.shutdownTimeoutMs ?? 5000);
        });
        try {
          await Promise.race([provider.shutdown(), timeout]);
        } catch (err) {
          opts.logger?.warn({ err: (err as Error).message }, 'telemetry shutdown: spans may be lost');
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

const appTracers = new WeakMap<App, Tracer>();

/** From now on requests to `app` produce SERVER spans with this tracer (listen() does this). */
export function traceRequestsWith(app: App, telemetry: Telemetry): void {
  if (telemetry.enabled) appTracers.set(app, telemetry.tracer);
}

const UNTRACED_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The trace context a request arrived with, as a parent for its SERVER span (the root when none or invalid). */
function incomingContext(headers: IncomingHttpHeaders): Context {
  const parent = parseTraceparent(header(headers, 'traceparent'));
  if (!parent) return ROOT_CONTEXT;
  const state = header(headers, 'tracestate');
  return trace.setSpanContext(ROOT_CONTEXT, state ? { ...parent, traceState: createTraceState(state) } : parent);
}

/**
 * createApp's hooks: a SERVER span per request, child of the incoming traceparent, active while the
 * handler runs so outgoing calls and new events continue it. Re-entered after body parsing, as
 * installEventContext does, for content-type parsers that finish on another async context.
 * Costs one WeakMap lookup per request while tracing is off.
 */
export function traceRequests(app: App): void {
  const spans = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();
  const end = (req: FastifyRequest, status: number | undefined) => {
    const entry = spans.get(req);
    if (!entry) return;
    spans.delete(req);
    if (status === undefined) {
      entry.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    } else {
      entry.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    entry.span.end();
  };

  app.addHook('onRequest', (req, _reply, done) => {
    const tracer = appTracers.get(app);
    const route = req.routeOptions.url;
    if (!tracer || (route && UNTRACED_ROUTES.has(route))) return done();
    const parent = incomingContext(req.headers);
    const userAgent = req.headers['user-agent'];
    const span = tracer.startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: req.method,
          [ATTR_URL_PATH]: req.url.split('?')[0],
          [ATTR_URL_SCHEME]: req.protocol,
          [ATTR_CLIENT_ADDRESS]: req.ip,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          ...(userAgent ? { [ATTR_USER_AGENT_ORIGINAL]: userAgent } : {}),
          'microbazaar.request_id': req.id,
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    spans.set(req, { span, ctx });
    context.with(ctx, done);
  });
  app.addHook('preValidation', (req, _reply, done) => {
    const entry = spans.get(req);
    if (entry) context.with(entry.ctx, done);
    else done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    end(req, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    end(req, undefined);
    done();
  });
}
