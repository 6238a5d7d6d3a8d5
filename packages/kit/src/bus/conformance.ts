// One behaviour suite for every Bus implementation: memory.test.ts and rabbitmq.test.ts run it.
import { randomUUID } from 'node:crypto';
import { type AnyEvent, EventValidationError } from '@microbazaar/contracts';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing.js';
import { inboxHandler } from './inbox.js';
import { busMetrics } from './metrics.js';
import {
  deferred,
  type EventsTestDb,
  effectCounts,
  eventsTestDb,
  orderCreated,
  recordEffect,
  sampleEvent,
} from './testkit.js';
import { type Bus, type Delivery, PermanentEventError, type Subscription } from './types.js';

export interface TestBus extends Bus {
  publishRaw(exchange: string, routingKey: string, content: string, headers?: Record<string, string>): Promise<void>;
}

/** Both buses' subscriptions can die mid-message for fault tests (RabbitSubscription, MemorySubscription). */
type Abandonable = Subscription & { abandon(): Promise<void> };

export interface ConformanceTarget {
  /** one bus per suite, with a name prefix of its own */
  open(): Promise<TestBus>;
  /** removes what the bus declared and closes it */
  dispose(bus: TestBus): Promise<void>;
}

const WAIT = 20_000;

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export function describeBusConformance(name: string, target: ConformanceTarget): void {
  describe(`${name} bus conformance`, () => {
    let bus: TestBus;
    let tdb: EventsTestDb;
    const subs: Subscription[] = [];
    const track = (s: Subscription) => {
      subs.push(s);
      return s;
    };

    /** Waits until the queue's DLQ holds exactly one message, and returns it. */
    const onlyDeadLetter = (queue: string) =>
      eventually(async () => {
        const list = await bus.deadLetters.list(queue);
        expect(list).toHaveLength(1);
        return list[0];
      }, WAIT);

    beforeAll(async () => {
      [bus, tdb] = await Promise.all([target.open(), eventsTestDb(`conf${name}`)]);
    });

    afterAll(async () => {
      await Promise.all(subs.map((s) => s.close()));
      await Promise.all([bus && target.dispose(bus), tdb?.drop()]);
    });

    it('delivers a published event with its envelope, correlation id and trace context', async () => {
      const got: Delivery[] = [];
      track(
        await bus.subscribe({
          queue: 'delivery_queue',
          bindings: ['order.created'],
          handler: async (d) => void got.push(d),
        }),
      );
      const event = orderCreated('req-delivery-1');
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await bus.publish([{ event, headers: { traceparent } }]);
      await eventually(() => expect(got).toHaveLength(1), WAIT);
      const [d] = got;
      expect(d?.event).toEqual(event);
      expect(d?.queue).toBe('delivery_queue');
      expect(d?.attempt).toBe(1);
      expect(d?.headers['x-correlation-id']).toBe('req-delivery-1');
      expect(d?.headers.traceparent).toBe(traceparent);
    });

    it('routes by routing-key pattern to every bound queue and only there', async () => {
      const seen: Record<string, string[]> = { a: [], b: [], c: [] };
      const done = { a: deferred(), b: deferred(), c: deferred() };
      const bindings = {
        a: ['order.*'],
        b: ['order.created', 'payment.#'],
        c: ['#.refunded'], // spans every exchange
      };
      for (const key of ['a', 'b', 'c'] as const) {
        track(
          await bus.subscribe({
            queue: `routing_${key}_queue`,
            // the sentinel is bound everywhere and published last; one consumer with prefetch 1 keeps FIFO
            bindings: [...bindings[key], 'user.registered'],
            prefetch: 1,
            handler: async ({ event }) => {
              if (event.type === 'user.registered') done[key].resolve();
              else seen[key]?.push(event.type);
            },
          }),
        );
      }
      const types = [
        'order.created',
        'order.cancelled',
        'payment.failed',
        'payment.refunded',
        'order.refunded',
        'inventory.reserved',
      ] as const;
      await bus.publish(types.map((t) => sampleEvent(t)));
      await bus.publish([sampleEvent('user.registered')]);
      await Promise.all([done.a.promise, done.b.promise, done.c.promise]);
      expect(seen.a?.sort()).toEqual(['order.cancelled', 'order.created', 'order.refunded']);
      expect(seen.b?.sort()).toEqual(['order.created', 'payment.failed', 'payment.refunded']);
      expect(seen.c?.sort()).toEqual(['order.refunded', 'payment.refunded']);
    });

    it('gives each queue its own copy and splits one queue between its consumers', async () => {
      const ids = { x: [] as string[], y1: [] as string[], y2: [] as string[] };
      const sub = (queue: string, into: string[]) =>
        bus.subscribe({
          queue,
          bindings: ['order.created'],
          prefetch: 2,
          handler: async ({ event }) => void into.push(event.id),
        });
      track(await sub('copies_x_queue', ids.x));
      track(await sub('copies_y_queue', ids.y1));
      track(await sub('copies_y_queue', ids.y2));
      const events = Array.from({ length: 20 }, () => orderCreated());
      await bus.publish(events);
      const all = events.map((e) => e.id).sort();
      await eventually(() => {
        expect([...ids.x].sort()).toEqual(all);
        expect([...ids.y1, ...ids.y2].sort()).toEqual(all);
      }, WAIT);
    });

    it('at-least-once delivery plus the inbox gives exactly one effect per event', async () => {
      const consumer = 'inbox_queue';
      const outcomes: string[] = [];
      const failedOnce = new Set<string>();
      const inner = inboxHandler(tdb.db, consumer, {
        'order.created': async (tx, event) => {
          await recordEffect(tx, event, consumer);
          // the first run of every event fails after writing: its transaction (effect + inbox row) rolls back
          if (!failedOnce.has(event.id)) {
            failedOnce.add(event.id);
            throw new Error('transient failure after the write');
          }
        },
      });
      track(
        await bus.subscribe({
          queue: consumer,
          bindings: ['order.created'],
          retryDelaysMs: [10],
          handler: async (d) => {
            const outcome = await inner(d);
            outcomes.push(outcome?.status ?? 'handled');
            return outcome;
          },
        }),
      );
      const events = Array.from({ length: 5 }, () => orderCreated());
      // every event published three times, as a relay does after a crash between publish and mark
      await bus.publish(events);
      await bus.publish(events);
      await bus.publish(events);
      await eventually(() => expect(outcomes).toHaveLength(15), WAIT);
      expect(outcomes.filter((o) => o === 'handled')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'skipped')).toHaveLength(10);
      expect(await effectCounts(tdb.db, consumer)).toEqual({ total: 5, distinct: 5 });
      const inbox = await tdb.db.query('SELECT event_id FROM inbox WHERE consumer = $1', [consumer]);
      expect(inbox).toHaveLength(5);
    });

    it('retries a failing handler with the configured delays and counts the retries', async () => {
      const registry = new Registry();
      const attempts: number[] = [];
      const handled = deferred();
      track(
        await bus.subscribe({
          queue: 'retry_queue',
          bindings: ['order.created'],
          maxAttempts: 4,
          retryDelaysMs: [20, 50],
          metrics: busMetrics(registry),
          handler: async (d) => {
            attempts.push(d.attempt);
            if (d.attempt < 3) throw new Error(`failing attempt ${d.attempt}`);
            handled.resolve();
          },
        }),
      );
      await bus.publish([orderCreated()]);
      await handled.promise;
      expect(attempts).toEqual([1, 2, 3]);
      expect(await counter(registry, 'events_retried_total', { queue: 'retry_queue' })).toBe(2);
      // counted once the handler has returned
      await eventually(
        async () =>
          expect(await counter(registry, 'events_consumed_total', { queue: 'retry_queue', outcome: 'handled' })).toBe(
            1,
          ),
        WAIT,
      );
      expect(await bus.deadLetters.list('retry_queue')).toEqual([]);
    });

    it('dead-letters after maxAttempts with the error attached, and replays from the DLQ', async () => {
      const registry = new Registry();
      const attempts: number[] = [];
      let broken = true;
      const handled: string[] = [];
      track(
        await bus.subscribe({
          queue: 'dlq_queue',
          bindings: ['order.created'],
          maxAttempts: 3,
          retryDelaysMs: [10, 30],
          metrics: busMetrics(registry),
          handler: async ({ event, attempt }) => {
            attempts.push(attempt);
            if (broken) throw new Error('warehouse API says no');
            handled.push(event.id);
          },
        }),
      );
      const event = orderCreated('req-dlq');
      await bus.publish([event]);
      const dead = await onlyDeadLetter('dlq_queue');
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead).toMatchObject({ id: event.id, type: 'order.created', reason: 'handler_failed', attempts: 3 });
      expect(dead?.error).toContain('warehouse API says no');
      expect(JSON.parse(dead?.content ?? '{}')).toEqual(event);
      expect(dead?.headers['x-correlation-id']).toBe('req-dlq');
      expect(
        await counter(registry, 'events_dead_lettered_total', { queue: 'dlq_queue', reason: 'handler_failed' }),
      ).toBe(1);
      // listing only peeks
      expect(await bus.deadLetters.list('dlq_queue')).toHaveLength(1);

      broken = false;
      expect(await bus.deadLetters.replay('dlq_queue', { id: randomUUID() })).toBe(0);
      expect(await bus.deadLetters.replay('dlq_queue', { id: event.id })).toBe(1);
      await eventually(() => expect(handled).toEqual([event.id]), WAIT);
      expect(attempts).toEqual([1, 2, 3, 1]); // a replay starts counting again
      expect(await bus.deadLetters.list('dlq_queue')).toEqual([]);
    });

    it('purges a dead-letter queue', async () => {
      track(
        await bus.subscribe({
          queue: 'purge_queue',
          bindings: ['order.created'],
          maxAttempts: 1,
          handler: async () => {
            throw new Error('always');
          },
        }),
      );
      await bus.publish([orderCreated(), orderCreated()]);
      await eventually(async () => expect(await bus.deadLetters.list('purge_queue')).toHaveLength(2), WAIT);
      expect(await bus.deadLetters.purge('purge_queue')).toBe(2);
      expect(await bus.deadLetters.list('purge_queue')).toEqual([]);
    });

    it('sends a PermanentEventError to the DLQ without retrying', async () => {
      const attempts: number[] = [];
      track(
        await bus.subscribe({
          queue: 'permanent_queue',
          bindings: ['order.created'],
          maxAttempts: 5,
          retryDelaysMs: [10],
          handler: async ({ attempt }) => {
            attempts.push(attempt);
            throw new PermanentEventError('order references a deleted product');
          },
        }),
      );
      await bus.publish([orderCreated()]);
      const dead = await onlyDeadLetter('permanent_queue');
      expect(attempts).toEqual([1]);
      expect(dead?.error).toContain('deleted product');
    });

    it('counts a delivery whose consumer died as an attempt, and parks a message that kills it every time', async () => {
      const registry = new Registry();
      const poison = orderCreated('req-crash');
      const attempts: Array<{ attempt: number; redelivered: boolean }> = [];
      const handled: string[] = [];
      // the deliveries whose consumer "died" hang until the end, so closing the subscription does not wait on them
      const hung = deferred();
      let sub: Abandonable | undefined;
      try {
        sub = track(
          await bus.subscribe({
            queue: 'crash_queue',
            bindings: ['order.created'],
            maxAttempts: 3,
            retryDelaysMs: [10, 20],
            metrics: busMetrics(registry),
            handler: async ({ event, attempt, redelivered }) => {
              if (event.id === poison.id) {
                attempts.push({ attempt, redelivered });
                void sub?.abandon(); // the consumer dies on this message, before it answers
                await hung.promise;
                return;
              }
              handled.push(event.id);
            },
          }),
        ) as Abandonable;
        await bus.publish([poison]);
        const dead = await onlyDeadLetter('crash_queue');
        expect(dead).toMatchObject({ id: poison.id, type: 'order.created', reason: 'consumer_died', attempts: 3 });
        expect(dead?.error).toContain('ended without an answer');
        expect(dead?.headers['x-correlation-id']).toBe('req-crash');
        expect(JSON.parse(dead?.content ?? '{}')).toEqual(poison);
        // each death counted as one attempt; the handler saw the message once per attempt, never a fourth time
        expect(attempts).toEqual([
          { attempt: 1, redelivered: false },
          { attempt: 2, redelivered: true },
          { attempt: 3, redelivered: true },
        ]);
        expect(await counter(registry, 'events_retried_total', { queue: 'crash_queue' })).toBe(2);
        expect(
          await counter(registry, 'events_dead_lettered_total', { queue: 'crash_queue', reason: 'consumer_died' }),
        ).toBe(1);
        // the consumer (restarted) goes on with the rest of the queue
        const next = orderCreated();
        await bus.publish([next]);
        await eventually(() => expect(handled).toContain(next.id), WAIT);
        expect(attempts).toHaveLength(3);
      } finally {
        hung.resolve();
      }
    });

    it('dead-letters poison messages with the reason, never calls the handler with them, keeps consuming', async () => {
      const registry = new Registry();
      const handled: AnyEvent[] = [];
      track(
        await bus.subscribe({
          queue: 'poison_queue',
          bindings: ['order.*'],
          metrics: busMetrics(registry),
          handler: async ({ event }) => void handled.push(event),
        }),
      );
      const valid = orderCreated();
      const { data: _data, ...noData } = orderCreated();
      await bus.publishRaw('orders_exchange', 'order.created', 'this is {not json');
      await bus.publishRaw('orders_exchange', 'order.created', JSON.stringify({ id: 'nope' }));
      await bus.publishRaw('orders_exchange', 'order.created', JSON.stringify({ ...noData, data: { orderId: 42 } }));
      await bus.publishRaw(
        'orders_exchange',
        'order.exploded',
        JSON.stringify({ ...noData, type: 'order.exploded', data: {} }),
      );
      await bus.publish([valid]);
      await eventually(() => expect(handled.map((e) => e.id)).toEqual([valid.id]), WAIT);
      const dead = await eventually(async () => {
        const list = await bus.deadLetters.list('poison_queue');
        expect(list).toHaveLength(4);
        return list;
      }, WAIT);
      expect(dead.every((d) => d.reason === 'invalid_message')).toBe(true);
      const errors = dead.map((d) => d.error).join('\n');
      expect(errors).toContain('not JSON');
      expect(errors).toContain('invalid envelope');
      expect(errors).toContain('invalid order.created data');
      expect(errors).toContain('unknown event type "order.exploded"');
      expect(dead[0]?.content).toBe('this is {not json');
      expect(await counter(registry, 'events_dead_lettered_total', { reason: 'invalid_message' })).toBe(4);
    });

    it('refuses to publish an invalid event, publishing nothing of the batch', async () => {
      const got: string[] = [];
      track(
        await bus.subscribe({
          queue: 'refuse_queue',
          bindings: ['order.created', 'user.registered'],
          handler: async ({ event }) => void got.push(event.type),
        }),
      );
      const bad = { ...orderCreated(), data: { orderId: 'not-a-uuid' } } as unknown as AnyEvent;
      await expect(bus.publish([orderCreated(), bad])).rejects.toBeInstanceOf(EventValidationError);
      await bus.publish([sampleEvent('user.registered')]);
      await eventually(() => expect(got).toEqual(['user.registered']), WAIT);
    });

    it('does not assume ordering: handlers run concurrently up to prefetch, never beyond', async () => {
      // the first event's handler only finishes after the second one ran: a serial consumer would stall
      const secondRan = deferred();
      const order: string[] = [];
      const [first, second] = [orderCreated(), orderCreated()];
      track(
        await bus.subscribe({
          queue: 'concurrent_queue',
          bindings: ['order.created'],
          prefetch: 5,
          handler: async ({ event }) => {
            if (event.id === first.id) await secondRan.promise;
            else secondRan.resolve();
            order.push(event.id);
          },
        }),
      );
      await bus.publish([first, second]);
      await eventually(() => expect(order).toEqual([second.id, first.id]), WAIT);

      let inFlight = 0;
      let maxInFlight = 0;
      const gate = deferred();
      let handled = 0;
      track(
        await bus.subscribe({
          queue: 'prefetch_queue',
          bindings: ['order.created'],
          prefetch: 3,
          handler: async () => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await gate.promise;
            inFlight--;
            handled++;
          },
        }),
      );
      await bus.publish(Array.from({ length: 10 }, () => orderCreated()));
      await eventually(() => expect(inFlight).toBe(3), WAIT);
      gate.resolve();
      await eventually(() => expect(handled).toBe(10), WAIT);
      expect(maxInFlight).toBe(3);
    });

    it('reports health through ping()', async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });
  });
}
