// The payment's side of the saga, consumed on payments_queue through the inbox. Handlers only decide
// (in the inbox transaction); the provider is called after the commit, outside any transaction.
import {
  type Db,
  type DeliveryHandler,
  type EventHandlers,
  type FastEventHandlers,
  inboxHandler,
} from '@microbazaar/kit';
import type { Job, Payments } from '../payments.js';

export function paymentSagaHandlers(
  payments: Payments,
  claimed: (eventId: string, job: Job | undefined) => void,
): EventHandlers {
  // always told, job or none: a handler run again (a batch re-run alone) replaces what an earlier run claimed
  const then = (eventId: string, job: Job | undefined) => {
    claimed(eventId, job);
    return { status: 'handled' as const };
  };
  return {
    'order.created': async (tx, event) => then(event.id, await payments.orderCreated(tx, event.data)),
    'inventory.reserved': async (tx, event) => then(event.id, await payments.stockReserved(tx, event.data.orderId)),
    'order.cancelled': async (tx, event) =>
      then(event.id, await payments.orderCalledOff(tx, event.data.orderId, `order cancelled: ${event.data.reason}`)),
    'order.refunded': async (tx, event) =>
      then(
        event.id,
        await payments.orderCalledOff(tx, event.data.orderId, event.data.reason ?? 'order refunded by admin'),
      ),
  };
}

/** The common cases of order.created and inventory.reserved in one statement each; the rest goes the inbox's way. */
export function paymentSagaFastPaths(
  payments: Payments,
  claimed: (eventId: string, job: Job | undefined) => void,
): FastEventHandlers {
  return {
    'order.created': async (_sql, event, ctx) =>
      (await payments.orderCreatedFast(event.data, ctx.inbox)) ? { status: 'handled' } : undefined,
    'inventory.reserved': async (_sql, event, ctx) => {
      const job = await payments.stockReservedFast(event.data.orderId, ctx.inbox);
      if (!job) return undefined;
      claimed(event.id, job);
      return { status: 'handled' };
    },
  };
}

/**
 * The delivery handler of payments_queue: the inbox transaction claims the work, then the charge or
 * refund runs before the ack. If the process dies in between, the claim's lease expires and recovery
 * (not a redelivery, which the inbox skips) finishes it with the same idempotency key.
 */
export function paymentDeliveryHandler(db: Db, queue: string, payments: Payments): DeliveryHandler {
  const jobs = new Map<string, Job>();
  const claimed = (eventId: string, job: Job | undefined) => (job ? jobs.set(eventId, job) : jobs.delete(eventId));
  const inner = inboxHandler(db, queue, paymentSagaHandlers(payments, claimed), {
    fastPaths: paymentSagaFastPaths(payments, claimed),
  });
  return async (delivery) => {
    try {
      const outcome = await inner(delivery);
      // only a handler whose transaction committed claimed anything (a skipped duplicate did not run)
      const job = outcome?.status === 'skipped' ? undefined : jobs.get(delivery.event.id);
      if (job) await payments.run(job);
      return outcome;
    } finally {
      jobs.delete(delivery.event.id);
    }
  };
}
