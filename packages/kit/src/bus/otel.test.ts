// With an OpenTelemetry SDK registered, a handler runs in a CONSUMER span parented to the message's traceparent, and what it publishes continues that span.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { afterAll, expect, it } from 'vitest';
import { MemoryBus } from './memory.js';
import { newEvent } from './outbox.js';
import { orderCreated } from './testkit.js';
import { currentTraceHeaders, parseTraceparent } from './tracing.js';

// A minimal stand-in for the SDK: an AsyncLocalStorage context manager and a tracer that records spans.
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

interface Recorded {
  name: string;
  kind: SpanKind | undefined;
  context: SpanContext;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  ended: boolean;
}
const spans: Recorded[] = [];

const tracer = {
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = trace.getSpanContext(ctx);
    const sc: SpanContext = {
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: 1,
    };
    const rec: Recorded = {
      name,
      kind: options.kind,
      context: sc,
      parentSpanId: parent?.spanId,
      attributes: { ...options.attributes },
      ended: false,
    };
    spans.push(rec);
    const span = {
      spanContext: () => sc,
      setAttribute: () => span,
      setAttributes: () => span,
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: () => span,
      updateName: () => span,
      end: () => {
        rec.ended = true;
      },
      isRecording: () => true,
      recordException: () => {},
    };
    return span as unknown as Span;
  },
} as unknown as Tracer;

context.setGlobalContextManager(new AlsContextManager());
trace.setGlobalTracerProvider({ getTracer: () => tracer });

afterAll(() => {
  trace.disable();
  context.disable();
});

it('parents the consumer span to the incoming traceparent and continues it in new events', async () => {
  const bus = new MemoryBus();
  const inHandler: { headers: Record<string, string>; causationId: string | undefined }[] = [];
  await bus.subscribe({
    queue: 'traced_queue',
    bindings: ['order.created'],
    handler: async () => {
      const follow = newEvent('user.registered', { userId: orderCreated().data.userId, email: 'a@b.co', name: 'A' });
      inHandler.push({ headers: currentTraceHeaders(), causationId: follow.causationId });
    },
  });
  const incoming = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const event = orderCreated();
  await bus.publish([{ event, headers: { traceparent: `00-${incoming.traceId}-${incoming.spanId}-01` } }]);
  await expect.poll(() => inHandler.length, { timeout: 5000 }).toBe(1);

  const consumer = spans.find((s) => s.name === 'traced_queue process');
  expect(consumer).toMatchObject({
    kind: 4, // SpanKind.CONSUMER
    parentSpanId: incoming.spanId,
    ended: true,
    attributes: { 'messaging.destination.name': 'traced_queue', 'messaging.message.id': event.id },
  });
  expect(consumer?.context.traceId).toBe(incoming.traceId);
  // what the handler publishes is a child of the consumer span, in the same trace
  const onward = parseTraceparent(inHandler[0]?.headers.traceparent);
  expect(onward).toMatchObject({ traceId: incoming.traceId, spanId: consumer?.context.spanId });
  expect(inHandler[0]?.causationId).toBe(event.id);
  await bus.close();
});
