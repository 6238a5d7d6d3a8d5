import { describe, expect, it } from 'vitest';
import { eventually } from '../testing.js';
import { describeBusConformance } from './conformance.js';
import { MemoryBroker, MemoryBus } from './memory.js';
import { orderCreated, testPrefix } from './testkit.js';

describeBusConformance('memory', {
  open: async () => new MemoryBus({ prefix: testPrefix('mem') }),
  dispose: (bus) => bus.close(),
});

describe('MemoryBroker.hold', () => {
  it('keeps what is published before a queue exists and routes it on release', async () => {
    const broker = new MemoryBroker();
    broker.hold();
    const producer = new MemoryBus({ broker });
    const consumer = new MemoryBus({ broker });
    const early = orderCreated();
    await producer.publish([early]);
    const seen: string[] = [];
    await consumer.subscribe({
      queue: 'late_queue',
      bindings: ['order.created'],
      handler: async ({ event }) => {
        seen.push(event.id);
      },
    });
    broker.release();
    await eventually(() => expect(seen).toEqual([early.id]));
    await producer.close();
    await consumer.close();
    await broker.close();
  });

  it('without hold, a message with no bound queue is dropped (as on RabbitMQ)', async () => {
    const broker = new MemoryBroker();
    const bus = new MemoryBus({ broker });
    await bus.publish([orderCreated()]);
    const seen: string[] = [];
    await bus.subscribe({
      queue: 'late_queue',
      bindings: ['order.created'],
      handler: async ({ event }) => void seen.push(event.id),
    });
    // one published after the queue exists arrives: the first one would have arrived before it
    const later = orderCreated();
    await bus.publish([later]);
    await eventually(() => expect(seen).toContain(later.id));
    expect(seen).toEqual([later.id]);
    await bus.close();
    await broker.close();
  });
});
