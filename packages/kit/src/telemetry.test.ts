// Tracing through listen(): off without OTEL_EXPORTER_OTLP_ENDPOINT; on, SERVER spans reach a loopback OTLP collector.
import { trace } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './app.js';
import { currentTraceHeaders, installEventContext, parseTraceparent } from './bus/tracing.js';
import { listen, type RunningService } from './server.js';
import { startTelemetry } from './telemetry.js';
import { otlpReceiver } from './testing.js';

const INCOMING = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const incomingTraceparent = `00-${INCOMING.traceId}-${INCOMING.spanId}-01`;

/** An app whose routes answer with the trace headers an outgoing call would carry from inside them. */
async function tracedApp(name: string, opts: { eventContext: boolean }): Promise<App> {
  const app = await createApp({ name, logger: pino({ level: 'silent' }), openapi: false });
  if (opts.eventContext) installEventContext(app);
  app.post(
    '/things/:id',
    { schema: { body: Type.Object({ quantity: Type.Integer() }) } },
    // the handler runs after body parsing and still sees the request's span
    async () => ({ onward: currentTraceHeaders(), recording: trace.getActiveSpan()?.isRecording() ?? false }),
  );
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  return app;
}

function post(service: RunningService, headers: Record<string, string> = {}) {
  return fetch(`${service.url}/things/42`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ quantity: 1 }),
  });
}

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('starts nothing: the API stays a no-op and the incoming traceparent passes on unchanged', async () => {
    expect((await startTelemetry({ serviceName: 'off', env: {} })).enabled).toBe(false);
    const service = await listen(await tracedApp('off', { eventContext: true }), {
      name: 'off',
      port: 0,
      host: '127.0.0.1',
      env: {},
    });
    try {
      const res = await post(service, { traceparent: incomingTraceparent, tracestate: 'vendor=1' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        onward: { traceparent: incomingTraceparent, tracestate: 'vendor=1' },
        recording: false,
      });
      expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    } finally {
      await service.stop();
    }
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT (loopback OTLP/HTTP collector)', () => {
  let collector: Awaited<ReturnType<typeof otlpReceiver>>;
  beforeAll(async () => {
    collector = await otlpReceiver();
  });
  afterAll(async () => {
    await collector?.close();
  });

  it('exports a SERVER span per request under the service name, child of the incoming traceparent', async () => {
    const service = await listen(await tracedApp('telemetry-test', { eventContext: false }), {
      name: 'telemetry-test',
      port: 0,
      host: '127.0.0.1',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/` },
    });
    const res = await post(service, { traceparent: incomingTraceparent, tracestate: 'vendor=1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { onward: { traceparent: string; tracestate?: string }; recording: boolean };
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    await service.stop(); // flushes the batch

    const server = collector.spans.filter((s) => s.service === 'telemetry-test');
    expect(server.map((s) => s.name)).toEqual(['POST /things/:id']); // probes are not traced
    const span = server[0];
    expect(span).toMatchObject({
      kind: 2, // SERVER
      traceId: INCOMING.traceId,
      parentSpanId: INCOMING.spanId,
      traceState: 'vendor=1',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/things/:id',
        'url.path': '/things/42',
        'http.response.status_code': 200,
      },
    });
    // what the handler sends onward continues this span, in the same trace
    expect(body.recording).toBe(true);
    expect(parseTraceparent(body.onward.traceparent)).toMatchObject({
      traceId: INCOMING.traceId,
      spanId: span?.spanId,
    });
    expect(body.onward.tracestate).toBe('vendor=1');
  });

  it('names the service after OTEL_SERVICE_NAME, starts a trace when none came in, marks 5xx as errors', async () => {
    const service = await listen(await tracedApp('unnamed', { eventContext: true }), {
      name: 'unnamed',
      port: 0,
      host: '127.0.0.1',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'shop-edge' },
    });
    const res = await post(service);
    const { onward } = (await res.json()) as { onward: { traceparent: string } };
    expect((await fetch(`${service.url}/boom`)).status).toBe(500);
    // spans of process-wide tracers (the bus's consumer spans) go to the running service too
    trace.getTracer('kit-test').startSpan('background work').end();
    await service.stop();

    const spans = collector.spans.filter((s) => s.service === 'shop-edge');
    expect(collector.spans.filter((s) => s.service === 'unnamed')).toEqual([]);
    const post42 = spans.find((s) => s.name === 'POST /things/:id');
    expect(post42?.parentSpanId).toBeUndefined();
    expect(parseTraceparent(onward.traceparent)).toMatchObject({ traceId: post42?.traceId, spanId: post42?.spanId });
    expect(spans.find((s) => s.name === 'GET /boom')).toMatchObject({
      statusCode: 2, // ERROR
      attributes: { 'http.response.status_code': 500 },
    });
    expect(spans.find((s) => s.name === 'background work')).toBeDefined();
  });

  it('refuses an endpoint that is no http(s) URL, naming the variable', async () => {
    await expect(
      startTelemetry({ serviceName: 'bad', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } }),
    ).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
