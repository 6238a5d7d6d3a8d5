// The inbox on PostgreSQL, one transaction per event and batched: duplicates skipped, failures isolated, context kept per event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing.js';
import { inboxClaim, inboxHandler, pruneInbox, subscribeWithInbox } from './inbox.js';
import { MemoryBus } from './memory.js';
import { type BusMetrics, noBusMetrics } from './metrics.js';
import { enqueueEvent } from './outbox.js';
import { type EventsTestDb, effectCounts, eventsTestDb, orderCreated, recordEffect } from './testkit.js';
import type { Delivery, HandlerOutcome } from './types.js';

let tdb: EventsTestDb;
let bus: MemoryBus;

beforeAll(async () => {
  tdb = await eventsTestDb('inbox');
  bus = new MemoryBus();
});

afterAll(async () => {
  await bus?.close();
  await tdb?.drop();
});

for (const maxBatch of [1, 20]) {
  describe(`inbox with maxBatch ${maxBatch}`, () => {
    it('handles each event once, however often and however concurrently it arrives', async () => {
      const queue = `dupes_${maxBatch}`;
      const outcomes: HandlerOutcome[] = [];
      const inner = inboxHandler(
        tdb.db,
        queue,
        { 'order.created': (tx, e) => recordEffect(tx, e, queue).then(() => {}) },
        { maxBatch },
      );
      const sub = await bus.subscribe({
        queue,
        bindings: ['order.created'],
        prefetch: 50,
        handler: async (d) => {
          const outcome = (await inner(d)) ?? { status: 'handled' };
          outcomes.push(outcome);
          return outcome;
        },
      });
      const events = Array.from({ length: 30 }, () => orderCreated());
      // each event three times in one publish: copies land in the same batch and in concurrent ones
      await bus.publish([...events, ...events, ...events]);
      await eventually(() => expect(outcomes).toHaveLength(90), 10_000);
      expect(outcomes.filter((o) => o.status === 'handled')).toHaveLength(30);
      expect(outcomes.filter((o) => o.status === 'skipped' && o.reason === 'duplicate')).toHaveLength(60);
      expect(await effectCounts(tdb.db, queue)).toEqual({ total: 30, distinct: 30 });
      await sub.close();
    });

    it('retries only the failing event; the others commit once', async () => {
      const queue = `failing_${maxBatch}`;
      const poison = orderCreated();
      const attempts: number[] = [];
      const sub = await subscribeWithInbox({
        bus,
        db: tdb.db,
        queue,
        maxBatch,
        prefetch: 50,
        maxAttempts: 3,
        retryDelaysMs: [5],
        handlers: {
          'order.created': async (tx, event, ctx) => {
            await recordEffect(tx, event, queue);
            if (event.id === poison.id) {
              attempts.push(ctx.attempt);
              if (ctx.attempt < 3) throw new Error('fails twice');
            }
          },
        },
      });
      const others = Array.from({ length: 25 }, () => orderCreated());
      await bus.publish([...others.slice(0, 12), poison, ...others.slice(12)]);
      await eventually(
        async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 26, distinct: 26 }),
        10_000,
      );
      // batched, the failing attempt runs twice: in its batch, then alone (both rolled back)
      expect([...new Set(attempts)]).toEqual([1, 2, 3]);
      expect(await bus.deadLetters.list(queue)).toEqual([]);
      await sub.close();
    });

    it('gives each handler its own event as correlation and cause for what it enqueues, and records skip reasons', async () => {
      const queue = `context_${maxBatch}`;
      const seen: Delivery[] = [];
      const sub = await subscribeWithInbox({
        bus,
        db: tdb.db,
        queue,
        maxBatch,
        handlers: {
          'order.created': async (tx, event) => {
            if (event.data.total.amount === 0) return { status: 'skipped', reason: 'free order' };
            await enqueueEvent(tx, 'inventory.reserved', {
              orderId: event.data.orderId,
              lines: [{ productId: randomUUID(), quantity: 1 }],
            });
          },
        },
      });
      const follow = await bus.subscribe({
        queue: `${queue}_follow`,
        bindings: ['inventory.reserved'],
        handler: async (d) => void seen.push(d),
      });
      const events = Array.from({ length: 10 }, (_, i) => orderCreated(`corr-${maxBatch}-${i}`));
      const free = orderCreated(`corr-free-${maxBatch}`);
      free.data.total.amount = 0;
      await bus.publish([...events, free]);
      await eventually(async () => {
        const rows = await tdb.db.query<{ id: string }>(
          "SELECT id FROM outbox WHERE type = 'inventory.reserved' AND payload->>'causationId' = ANY($1::text[])",
          [events.map((e) => e.id)],
        );
        expect(rows).toHaveLength(10);
      }, 10_000);
      const rows = await tdb.db.query<{ correlation: string; causation: string }>(
        `SELECT payload->>'correlationId' AS correlation, payload->>'causationId' AS causation
           FROM outbox WHERE payload->>'causationId' = ANY($1::text[])`,
        [events.map((e) => e.id)],
      );
      const byCause = new Map(rows.map((r) => [r.causation, r.correlation]));
      for (const e of events) expect(byCause.get(e.id)).toBe(e.correlationId);
      await eventually(async () => {
        const [row] = await tdb.db.query<{ outcome: string }>(
          'SELECT outcome FROM inbox WHERE consumer = $1 AND event_id = $2',
          [queue, free.id],
        );
        expect(row?.outcome).toBe('skipped: free order');
      }, 10_000);
      expect(seen).toEqual([]); // nothing relays this outbox here
      await Promise.all([sub.close(), follow.close()]);
    });
    it('runs afterCommit effects once a change committed, never for a duplicate or a rolled-back attempt', async () => {
      const queue = `effects_${maxBatch}`;
      const poison = orderCreated();
      const ran: Array<{ eventId: string; attempt: number; committed: boolean }> = [];
      const acked: string[] = [];
      const sub = await subscribeWithInbox({
        bus,
        db: tdb.db,
        queue,
        maxBatch,
        prefetch: 50,
        maxAttempts: 3,
        retryDelaysMs: [5],
        handlers: {
          'order.created': async (tx, event, ctx) => {
            await recordEffect(tx, event, queue);
            ctx.afterCommit(async () => {
              // committed: another connection sees the effect row
              const [row] = await tdb.db.query<{ n: number }>(
                'SELECT count(*)::int AS n FROM effects WHERE consumer = $1 AND event_id = $2',
                [queue, event.id],
              );
              ran.push({ eventId: event.id, attempt: ctx.attempt, committed: row?.n === 1 });
            });
            if (event.id === poison.id && ctx.attempt < 3) throw new Error('fails twice');
          },
        },
      });
      const watch = await bus.subscribe({
        queue: `${queue}_acks`,
        bindings: ['order.created'],
        handler: async (d) => void acked.push(d.event.id),
      });
      const events = [...Array.from({ length: 9 }, () => orderCreated()), poison];
      await bus.publish([...events, ...events]);
      // the positive signal: every event's effect committed once, the poison's on its third attempt
      await eventually(
        async () => expect(await effectCounts(tdb.db, queue)).toEqual({ total: 10, distinct: 10 }),
        10_000,
      );
      await eventually(() => expect(ran).toHaveLength(10), 10_000);
      expect(ran.every((r) => r.committed)).toBe(true);
      expect(new Set(ran.map((r) => r.eventId)).size).toBe(10);
      expect(ran.find((r) => r.eventId === poison.id)?.attempt).toBe(3);
      expect(acked).toHaveLength(20);
      await Promise.all([sub.close(), watch.close()]);
    });
  });
}

describe('inbox retention', () => {
  it('pruneInbox deletes only this consumer rows older than the retention', async () => {
    const old = randomUUID();
    const fresh = randomUUID();
    const other = randomUUID();
    await tdb.db.query(
      `INSERT INTO inbox (consumer, event_id, event_type, handled_at) VALUES
         ('prune_me', $1, 'order.created', now() - interval '8 days'),
         ('prune_me', $2, 'order.created', now() - interval '1 hour'),
         ('someone_else', $3, 'order.created', now() - interval '8 days')`,
      [old, fresh, other],
    );
    expect(await pruneInbox(tdb.db, 'prune_me', 7 * 86_400_000)).toBe(1);
    const left = await tdb.db.query<{ event_id: string }>(
      `SELECT event_id FROM inbox WHERE event_id = ANY($1::uuid[]) ORDER BY event_id`,
      [[old, fresh, other]],
    );
    expect(left.map((r) => r.event_id).sort()).toEqual([fresh, other].sort());
  });
});

describe('after-commit effects', () => {
  it('an effect that fails is logged and the event stays handled: acked once, not retried', async () => {
    const queue = 'effect_fails';
    const outcomes: HandlerOutcome[] = [];
    const inner = inboxHandler(tdb.db, queue, {
      'order.created': async (tx, event, ctx) => {
        await recordEffect(tx, event, queue);
        ctx.afterCommit(() => {
          throw new Error('push failed');
        });
      },
    });
    const sub = await bus.subscribe({
      queue,
      bindings: ['order.created'],
      maxAttempts: 3,
      retryDelaysMs: [5],
      handler: async (d) => {
        const outcome = (await inner(d)) ?? { status: 'handled' };
        outcomes.push(outcome);
        return outcome;
      },
    });
    const event = orderCreated();
    const marker = orderCreated();
    await bus.publish([event, marker]);
    await eventually(() => expect(outcomes).toHaveLength(2), 10_000);
    expect(outcomes).toEqual([{ status: 'handled' }, { status: 'handled' }]);
    expect(await effectCounts(tdb.db, queue)).toEqual({ total: 2, distinct: 2 });
    await sub.close();
  });
});

describe('fast paths', () => {
  it('a fast path writes its change and inbox row in one statement; one that falls back leaves it to the transaction', async () => {
    const queue = 'fast';
    const ran: string[] = [];
    const tried: Array<[string, boolean]> = [];
    const metrics: BusMetrics = { ...noBusMetrics, fastPath: (_q, type, applied) => void tried.push([type, applied]) };
    const acked: HandlerOutcome[] = [];
    const sub = await subscribeWithInbox({
      bus,
      db: tdb.db,
      queue,
      metrics,
      handlers: {
        'order.created': async (tx, event, ctx) => {
          if (event.data.total.amount === 0) return { status: 'skipped', reason: 'free order' };
          await recordEffect(tx, event, queue);
          ctx.afterCommit(() => void ran.push(`transaction ${event.data.orderId}`));
        },
      },
      fastPaths: {
        'order.created': async (sql, event, ctx) => {
          // asked for by a run that falls back: never run
          const fallBack = () => {
            ctx.afterCommit(() => void ran.push(`dropped ${event.data.orderId}`));
            return undefined;
          };
          // a free order is not the common case: decided by the transactional handler
          if (event.data.total.amount === 0) return fallBack();
          const params: unknown[] = [event.id, queue];
          const inbox = inboxClaim(sql, params);
          const [row] = await sql.query<{ n: number }>(
            `WITH added AS (INSERT INTO effects (event_id, consumer) SELECT $1::uuid, $2::text WHERE ${inbox.unseen}
               RETURNING 1), ${inbox.claim('EXISTS (SELECT 1 FROM added)')}
             SELECT count(*)::int AS n FROM added`,
            params,
          );
          if (!row?.n) return fallBack();
          ctx.afterCommit(() => void ran.push(`fast ${event.data.orderId}`));
          return { status: 'handled' };
        },
      },
    });
    const watch = await bus.subscribe({
      queue: `${queue}_acks`,
      bindings: ['order.created'],
      handler: async () => void acked.push({ status: 'handled' }),
    });
    const paid = orderCreated();
    const free = orderCreated();
    free.data.total.amount = 0;
    await bus.publish([paid, free]);
    await eventually(() => expect(tried).toHaveLength(2), 10_000);
    // a copy of the paid one later: the fast path's guard fails (seen), the transaction skips it
    await bus.publish([paid]);
    await eventually(async () => {
      const [row] = await tdb.db.query<{ outcome: string | null }>(
        'SELECT outcome FROM inbox WHERE consumer = $1 AND event_id = $2',
        [queue, free.id],
      );
      expect(row?.outcome).toBe('skipped: free order');
      expect(tried).toHaveLength(3);
    }, 10_000);
    await eventually(() => expect(acked).toHaveLength(3), 10_000);
    // the paid one applied and the free one fell back (in either order), then the copy fell back
    expect(
      tried
        .slice(0, 2)
        .map(([, applied]) => applied)
        .sort(),
    ).toEqual([false, true]);
    expect(tried[2]).toEqual(['order.created', false]);
    expect(ran).toEqual([`fast ${paid.data.orderId}`]);
    expect(await effectCounts(tdb.db, queue)).toEqual({ total: 1, distinct: 1 });
    await Promise.all([sub.close(), watch.close()]);
  });

  it("inboxClaim needs a fast path's handle: a pool or a transaction is refused", async () => {
    expect(() => inboxClaim(tdb.db, [])).toThrow(/fast path/);
    await tdb.db.transaction(async (tx) => expect(() => inboxClaim(tx, [])).toThrow(/fast path/));
  });
});
