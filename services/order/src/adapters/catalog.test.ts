// The catalog port against a loopback product service: it sends the request id and the trace context it is called in.
import { createApp, createLogger, listen, parseTraceparent, runWithEventContext } from '@microbazaar/kit';
import { otlpReceiver, type RecordingServer, recordingServer } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCatalog } from './catalog.js';

const PRODUCT_ID = '6f1c1e9a-3b0f-4c55-9a57-5b7c1e2d4a10';
const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('httpCatalog', () => {
  let upstream: RecordingServer;
  let baseUrl: string;
  let seen: RecordingServer['seen'];

  beforeAll(async () => {
    upstream = await recordingServer((req, res) => {
      if (req.url !== `/api/products/${PRODUCT_ID}`) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: PRODUCT_ID,
          name: 'Lamp',
          price: { amount: 1999, currency: 'EUR' },
          sellerId: 'seller-1',
          status: 'active',
        }),
      );
    });
    baseUrl = upstream.url;
    seen = upstream.seen;
  });
  afterAll(() => upstream.close());

  it('sends the request id and, with tracing off, the trace context the request came with', async () => {
    const catalog = httpCatalog({ baseUrl, timeoutMs: 2000 });
    try {
      const found = await runWithEventContext(
        { correlationId: 'req-1', traceparent: INCOMING, tracestate: 'vendor=1' },
        () => catalog.products([PRODUCT_ID], { requestId: 'req-1' }),
      );
      expect(found.get(PRODUCT_ID)).toMatchObject({ name: 'Lamp', price: { amount: 1999, currency: 'EUR' } });
      expect(seen.at(-1)).toMatchObject({ 'x-request-id': 'req-1', traceparent: INCOMING, tracestate: 'vendor=1' });

      // outside any request or event: no trace context to send
      await catalog.products([PRODUCT_ID]);
      expect(seen.at(-1)?.traceparent).toBeUndefined();
    } finally {
      await catalog.close();
    }
  });

  it("with tracing on, carries the traceparent of the order request's SERVER span", async () => {
    const collector = await otlpReceiver();
    const catalog = httpCatalog({ baseUrl, timeoutMs: 2000 });
    const app = await createApp({ name: 'order', logger: createLogger('order', 'silent'), openapi: false });
    app.get('/checkout-preview', async (req) => {
      const found = await catalog.products([PRODUCT_ID], { requestId: req.id });
      return { names: [...found.values()].map((p) => p.name) };
    });
    const service = await listen(app, {
      name: 'order',
      port: 0,
      host: '127.0.0.1',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
      onClose: () => catalog.close(),
    });
    try {
      const res = await fetch(`${service.url}/checkout-preview`, {
        headers: { traceparent: INCOMING, 'x-request-id': 'req-2' },
      });
      expect(await res.json()).toEqual({ names: ['Lamp'] });
      await service.stop(); // flushes the spans

      const server = collector.spans.find((s) => s.service === 'order' && s.name === 'GET /checkout-preview');
      expect(server).toMatchObject({ kind: 2, traceId: INCOMING.split('-')[1], parentSpanId: INCOMING.split('-')[2] });
      const sent = seen.at(-1);
      expect(sent?.['x-request-id']).toBe('req-2');
      // the product service's span will be a child of the order's, not of the caller's
      expect(parseTraceparent(sent?.traceparent as string)).toMatchObject({
        traceId: server?.traceId,
        spanId: server?.spanId,
      });
    } finally {
      await service.stop();
      await collector.close();
    }
  });
});
