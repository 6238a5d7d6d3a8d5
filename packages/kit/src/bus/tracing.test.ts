// Correlation from the HTTP request id through the outbox, RabbitMQ headers and the handler's log lines, and W3C trace context alongside.
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../app.js';
import { eventually, TEST_RABBITMQ_URL } from '../testing.js';
import { subscribeWithInbox } from './inbox.js';
import { enqueueEvent, type OutboxRelay, startOutboxRelay } from './outbox.js';
import { RabbitBus } from './rabbitmq.js';
import { type EventsTestDb, eventsTestDb, orderCreated, testPrefix } from './testkit.js';
import {
  currentEventContext,
  eventContextFromRequest,
  formatTraceparent,
  installEventContext,
  parseTraceparent,
} from './tracing.js';
import type { Delivery, Subscription } from './types.js';

type LogLine = Record<string, unknown> & { msg: string };

describe('trace context helpers', () => {
  it('parses and formats W3C traceparent, rejecting malformed or all-zero ids', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sc = parseTraceparent(header);
    expect(sc).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    expect(sc && formatTraceparent(sc)).toBe(header);
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });

  it('takes the correlation id from the request id and keeps only a valid traceparent', () => {
    expect(eventContextFromRequest({ id: 'req-1', headers: { traceparent: 'nope' } })).toEqual({
      correlationId: 'req-1',
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(eventContextFromRequest({ id: 'req-2', headers: { traceparent, tracestate: 'k=v' } })).toEqual({
      correlationId: 'req-2',
      traceparent,
      tracestate: 'k=v',
    });
  });
});

describe('correlation from HTTP request to handler', () => {
  let tdb: EventsTestDb;
  let bus: RabbitBus;
  let relay: OutboxRelay;
  let app: App;
  const subs: Subscription[] = [];
  const logs: LogLine[] = [];
  const reserved: Delivery[] = [];
  const created: Delivery[] = [];

  beforeAll(async () => {
    tdb = await eventsTestDb('tracing');
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: testPrefix('trace'), name: 'test-tracing', logger });
    await bus.ready();

    app = await createApp({ name: 'tracing-test', logger, openapi: false });
    installEventContext(app);
    app.post(
      '/orders',
      { schema: { body: Type.Object({ quantity: Type.Integer({ minimum: 1 }) }) } },
      async (req, reply) => {
        // no correlation id passed: it comes from the request, through the body parsing
        const { data } = orderCreated();
        data.items[0]!.quantity = req.body.quantity;
        const event = await tdb.db.transaction((tx) => enqueueEvent(tx, 'order.created', data));
        return reply.status(202).send({ eventId: event.id, context: currentEventContext() ?? null });
      },
    );

    // product service: reserves stock on order.created, its own event follows in the same transaction
    subs.push(
      await subscribeWithInbox({
        bus,
        db: tdb.db,
        queue: 'inventory_queue',
        logger,
        handlers: {
          'order.created': async (tx, event, { log }) => {
            log.info({ lines: event.data.items.length }, 'reserving stock');
            await enqueueEvent(tx, 'inventory.reserved', {
              orderId: event.data.orderId,
              lines: event.data.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
            });
            log.info('stock reserved');
          },
        },
      }),
    );
    subs.push(
      await bus.subscribe({
        queue: 'audit_queue',
        bindings: ['order.created'],
        handler: async (d) => void created.push(d),
      }),
    );
    // payment service: sees the follow-up event
    subs.push(
      await bus.subscribe({
        queue: 'payments_queue',
        bindings: ['inventory.reserved'],
        logger,
        handler: async (d) => {
          d.log.info('charging');
          reserved.push(d);
        },
      }),
    );
    relay = await startOutboxRelay({ db: tdb.db, bus, logger });
  });

  afterAll(async () => {
    await relay?.stop();
    await app?.close();
    await Promise.all(subs.map((s) => s.close()));
    await bus?.deleteTopology();
    await bus?.close();
    await tdb?.drop();
  });

  it('carries the request id as correlationId and the traceparent through AMQP headers and into every handler log line', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'x-request-id': 'req-trace-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: { quantity: 3 },
    });
    expect(res.statusCode).toBe(202);
    const { eventId, context } = res.json() as { eventId: string; context: unknown };
    expect(context).toMatchObject({ correlationId: 'req-trace-1' });

    await eventually(() => expect(reserved).toHaveLength(1), 20_000);
    await eventually(() => expect(created).toHaveLength(1), 20_000);
    const [first] = created;
    expect(first?.event).toMatchObject({ id: eventId, correlationId: 'req-trace-1' });
    expect(first?.event.causationId).toBeUndefined();
    expect(first?.headers['x-correlation-id']).toBe('req-trace-1');
    expect(parseTraceparent(first?.headers.traceparent)?.traceId).toBe(traceId);

    const [next] = reserved;
    expect(next?.event).toMatchObject({
      type: 'inventory.reserved',
      correlationId: 'req-trace-1',
      causationId: eventId,
    });
    expect(next?.headers['x-correlation-id']).toBe('req-trace-1');
    expect(next?.headers['x-causation-id']).toBe(eventId);
    expect(parseTraceparent(next?.headers.traceparent)?.traceId).toBe(traceId);

    const handlerLines = logs.filter((l) => ['reserving stock', 'stock reserved', 'charging'].includes(l.msg));
    expect(handlerLines.map((l) => l.msg).sort()).toEqual(['charging', 'reserving stock', 'stock reserved']);
    for (const line of handlerLines) expect(line).toMatchObject({ correlationId: 'req-trace-1' });
    expect(handlerLines.find((l) => l.msg === 'reserving stock')).toMatchObject({
      eventId,
      eventType: 'order.created',
      queue: 'inventory_queue',
      attempt: 1,
    });
  });

  it('keeps the context across a real socket, where the body arrives on later ticks', async () => {
    const before = created.length;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const res = await fetch(`http://127.0.0.1:${port}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-socket-1' },
      body: JSON.stringify({ quantity: 2 }),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { context: unknown }).context).toMatchObject({ correlationId: 'req-socket-1' });
    await eventually(() => expect(created.length).toBe(before + 1), 20_000);
    expect(created[before]?.event.correlationId).toBe('req-socket-1');
  });

  it('uses the generated request id when the client sends none, and no traceparent without one', async () => {
    const before = created.length;
    const res = await app.inject({ method: 'POST', url: '/orders', payload: { quantity: 1 } });
    expect(res.statusCode).toBe(202);
    const requestId = res.headers['x-request-id'];
    await eventually(() => expect(created.length).toBe(before + 1), 20_000);
    const d = created[before];
    expect(d?.event.correlationId).toBe(requestId);
    expect(d?.headers.traceparent).toBeUndefined();
  });
});
