// The order's saga steps (stock and payment outcomes move it on) and the sweeper that expires orders left
// pending. A step runs in the inbox's transaction (step) or, for the common case, as one guarded statement
// on a fast path's handle (stepFast); both decide the same way (sagaStep).
import type { AnyEvent } from '@microbazaar/contracts';
import type { Db, InboxSql, Sql } from '@microbazaar/kit';
import type { OrderConfig } from '../config.js';
import { type Change, canTransition, type Order, transition } from '../domain/order.js';
import { orderChanged } from '../events/publish.js';
import { orderStore } from '../store/orders.js';

/** Outcome of a saga step: the order as it is now, and whether this step changed it. */
export interface StepResult {
  order: Order | null;
  changed: boolean;
  reason?: string;
}

/**
 * What a saga step does to the order as read, decided once for both ways of writing it (step under a
 * lock, stepFast guarded by the read): the order after it with its event, or why it does not apply.
 */
function sagaStep(
  order: Order | null,
  step: Change,
  cause: string,
  check?: (order: Order) => void,
): { after: Order; events: AnyEvent[] } | { reason: string } {
  if (!order) return { reason: 'unknown order' };
  // an event that contradicts the order is wrong whatever the order's status
  check?.(order);
  if (!canTransition(order, step.action)) return { reason: `order is ${order.status}` };
  const after = transition(order, step, cause);
  return { after, events: orderChanged(order, after, step) };
}

export function createSagaSteps({
  db,
  config,
}: {
  db: Db;
  config: Pick<OrderConfig, 'ORDER_PENDING_TIMEOUT_SECONDS'>;
}) {
  return {
    /**
     * A saga step inside the event handler's transaction. A step the order's status no longer
     * allows (payment for an expired order, a second rejection) changes nothing and says why.
     */
    async step(
      tx: Sql,
      orderId: string,
      step: Change,
      cause: string,
      check?: (order: Order) => void,
    ): Promise<StepResult> {
      const order = await orderStore(tx).lock(orderId);
      const next = sagaStep(order, step, cause, check);
      if ('reason' in next) return { order, changed: false, reason: next.reason };
      await orderStore(tx).saveTransition(next.after, next.events);
      return { order: next.after, changed: true };
    },

    /** Records in the order's history what happened to its money without changing its status (a refund). */
    async noteInHistory(tx: Sql, orderId: string, cause: string): Promise<Order | null> {
      const store = orderStore(tx);
      const order = await store.lock(orderId);
      if (!order) return null;
      await store.appendHistory(orderId, { at: new Date().toISOString(), cause });
      return order;
    },

    /**
     * step() for the common case, on a fast path's handle, without a transaction: reads the order, and
     * if the step applies, writes it in one statement with the event's inbox row, guarded by the order
     * being unchanged since the read. Undefined when that did not happen (unknown order, a status the
     * step does not apply to, a race lost, the event seen before): step() in the inbox transaction
     * decides then.
     */
    async stepFast(
      sql: InboxSql,
      orderId: string,
      step: Change,
      cause: string,
      check?: (order: Order) => void,
    ): Promise<Order | undefined> {
      const store = orderStore(sql);
      const order = await store.byId(orderId);
      const next = sagaStep(order, step, cause, check);
      if (!order || 'reason' in next) return undefined;
      const read = { status: order.status, steps: order.history.length };
      return (await store.saveTransitionIfUnchanged(next.after, read, next.events)) ? next.after : undefined;
    },

    /** Cancels `expired` the orders pending past the timeout; returns how many. Safe with many instances. */
    async expireStale(batch = 100): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await db.transaction(async (tx) => {
          const stale = await orderStore(tx).lockStalePending(config.ORDER_PENDING_TIMEOUT_SECONDS, batch);
          for (const order of stale) {
            const step: Change = { action: 'cancel', reason: 'expired' };
            const after = transition(order, step, `still pending after ${config.ORDER_PENDING_TIMEOUT_SECONDS} s`);
            await orderStore(tx).saveTransition(after, orderChanged(order, after, step));
          }
          return stale.length;
        });
        total += n;
        if (n < batch) return total;
      }
    },
  };
}
