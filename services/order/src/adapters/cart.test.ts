// The cart port against a loopback cart service: the buyer's token, the request id and the trace context go along.
import { parseTraceparent, runWithEventContext, startTelemetry } from '@microbazaar/kit';
import { otlpReceiver, type RecordingServer, recordingServer } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCart } from './cart.js';

const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('httpCart', () => {
  let upstream: RecordingServer;
  let baseUrl: string;
  let seen: RecordingServer['seen'];

  beforeAll(async () => {
    upstream = await recordingServer((req, res) => {
      if (req.url !== '/api/cart') return res.writeHead(404).end();
      if (req.headers.authorization !== 'Bearer buyer') return res.writeHead(401).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ items: [{ productId: 'p-1', quantity: 2 }] }));
    });
    baseUrl = upstream.url;
    seen = upstream.seen;
  });
  afterAll(() => upstream.close());

  it('sends the request id and, with tracing off, the trace context the request came with', async () => {
    const cart = httpCart({ baseUrl, timeoutMs: 2000 });
    try {
      const lines = await runWithEventContext({ correlationId: 'req-1', traceparent: INCOMING }, () =>
        cart.lines('Bearer buyer', { requestId: 'req-1' }),
      );
      expect(lines).toEqual([{ productId: 'p-1', quantity: 2 }]);
      expect(seen.at(-1)).toMatchObject({ 'x-request-id': 'req-1', traceparent: INCOMING });
      expect(seen.at(-1)?.tracestate).toBeUndefined();
    } finally {
      await cart.close();
    }
  });

  it('with tracing on, carries the traceparent of the active span', async () => {
    const collector = await otlpReceiver();
    const telemetry = await startTelemetry({
      serviceName: 'order',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
    });
    const cart = httpCart({ baseUrl, timeoutMs: 2000 });
    try {
      const active = await telemetry.tracer.startActiveSpan('checkout', async (span) => {
        await cart.lines('Bearer buyer');
        span.end();
        return span.spanContext();
      });
      expect(parseTraceparent(seen.at(-1)?.traceparent as string)).toMatchObject({
        traceId: active.traceId,
        spanId: active.spanId,
      });
    } finally {
      await cart.close();
      await telemetry.shutdown();
      await collector.close();
    }
  });
});
