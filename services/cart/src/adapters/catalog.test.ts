// The catalog lookup against a loopback product service: the request id and the trace context go along.
import { parseTraceparent, runWithEventContext, startTelemetry } from '@microbazaar/kit';
import { otlpReceiver, type RecordingServer, recordingServer } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCatalogLookup } from './catalog.js';

const PRODUCT_ID = '0b6f3c1e-7d2a-4e8b-9c55-1a2b3c4d5e6f';
const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('httpCatalogLookup', () => {
  let upstream: RecordingServer;
  let baseUrl: string;
  let seen: RecordingServer['seen'];

  beforeAll(async () => {
    upstream = await recordingServer((req, res) => {
      if (req.url !== `/api/products/${PRODUCT_ID}`) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: PRODUCT_ID,
          name: 'Mug',
          slug: 'mug',
          sellerId: 'seller-1',
          stock: 3,
          status: 'active',
          price: { amount: 899, currency: 'USD' },
        }),
      );
    });
    baseUrl = upstream.url;
    seen = upstream.seen;
  });
  afterAll(() => upstream.close());

  it('sends the request id and, with tracing off, the trace context the request came with', async () => {
    const catalog = httpCatalogLookup({ baseUrl, timeoutMs: 2000 });
    const product = await runWithEventContext(
      { correlationId: 'req-1', traceparent: INCOMING, tracestate: 'vendor=1' },
      () => catalog.product(PRODUCT_ID, { requestId: 'req-1' }),
    );
    expect(product).toMatchObject({ id: PRODUCT_ID, name: 'Mug', stock: 3 });
    expect(seen.at(-1)).toMatchObject({ 'x-request-id': 'req-1', traceparent: INCOMING, tracestate: 'vendor=1' });
  });

  it('with tracing on, carries the traceparent of the active span', async () => {
    const collector = await otlpReceiver();
    const telemetry = await startTelemetry({
      serviceName: 'cart',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
    });
    const catalog = httpCatalogLookup({ baseUrl, timeoutMs: 2000 });
    try {
      const active = await telemetry.tracer.startActiveSpan('add line', async (span) => {
        await catalog.product(PRODUCT_ID);
        span.end();
        return span.spanContext();
      });
      expect(parseTraceparent(seen.at(-1)?.traceparent as string)).toMatchObject({
        traceId: active.traceId,
        spanId: active.spanId,
      });
    } finally {
      await telemetry.shutdown();
      await collector.close();
    }
  });
});
