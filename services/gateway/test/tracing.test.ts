// Trace context through the gateway: passed on as it came with tracing off; with it on, upstreams continue the gateway's span.
import { createLogger, listen, MemoryCache, parseTraceparent, type RunningService } from '@microbazaar/kit';
import { otlpReceiver } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { json, send, startServer, type TestServer, testConfig } from './helpers.js';

const INCOMING = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const traceparent = `00-${INCOMING.traceId}-${INCOMING.spanId}-01`;

let upstream: TestServer;

beforeAll(async () => {
  upstream = await startServer((_req, res) => json(res, 200, { ok: true }));
});
afterAll(async () => {
  await upstream?.close();
});

async function startGateway(env: Record<string, string>): Promise<RunningService> {
  const cache = new MemoryCache();
  const { app } = await buildApp({
    config: testConfig({ AUTH_URL: upstream.url }),
    logger: createLogger('gateway', 'silent'),
    cache,
  });
  return listen(app, { name: 'gateway', port: 0, host: '127.0.0.1', env, onClose: () => cache.close() });
}

describe('gateway trace context', () => {
  it('passes the client traceparent and tracestate on unchanged when tracing is off', async () => {
    const gateway = await startGateway({});
    try {
      const res = await send(gateway.url, '/api/auth/ping', { headers: { traceparent, tracestate: 'vendor=1' } });
      expect(res.status).toBe(200);
      expect(upstream.seen.at(-1)?.headers).toMatchObject({ traceparent, tracestate: 'vendor=1' });
    } finally {
      await gateway.stop();
    }
  });

  it('with tracing on, makes a SERVER span in the client trace and hands the upstream that span', async () => {
    const collector = await otlpReceiver();
    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    try {
      const res = await send(gateway.url, '/api/auth/ping', { headers: { traceparent, tracestate: 'vendor=1' } });
      expect(res.status).toBe(200);
      await gateway.stop(); // flushes the spans

      const span = collector.spans.find((s) => s.service === 'gateway' && s.name === 'GET /api/auth/*');
      expect(span).toMatchObject({ kind: 2, traceId: INCOMING.traceId, parentSpanId: INCOMING.spanId });
      const sent = upstream.seen.at(-1)?.headers;
      expect(parseTraceparent(sent?.traceparent as string)).toMatchObject({
        traceId: INCOMING.traceId,
        spanId: span?.spanId,
      });
      expect(sent?.tracestate).toBe('vendor=1');
    } finally {
      await gateway.stop();
      await collector.close();
    }
  });
});
