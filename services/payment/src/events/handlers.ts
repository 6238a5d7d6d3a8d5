// The payment's side of the saga, consumed on payments_queue through the inbox. Handlers only decide
// (in the inbox transaction); the provider is called after the commit, outside any transaction.
import { type Db, type DeliveryHandler, type EventHandlers, inboxHandler } from '@microbazaar/kit';
import type { Job, Payments } from '../payments.js';

export function paymentSagaHandlers(payments: Payments, claimed: (eventId: string, job: Job) => void): EventHandlers {
  const then = (eventId: string, job: Job | undefined) => {
    if (job) claimed(eventId, job);
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

/**
 * The delivery handler of payments_queue: the inbox transaction claims the work, then the charge or
 * refund runs before the ack. If the process dies in between, the claim's lease expires and recovery
 * (not a redelivery, which the inbox skips) finishes it with the same idempotency key.
 */
export function paymentDeliveryHandler(db: Db, queue: string, payments: Payments): DeliveryHandler {
  const jobs = new Map<string, Job>();
  const inner = inboxHandler(
    db,
    queue,
    paymentSagaHandlers(payments, (eventId, job) => jobs.set(eventId, job)),
  );
  return async (delivery) => {
    try {
      const outcome = await inner(delivery);
      const job = jobs.get(delivery.event.id);
      if (job) await payments.run(job);
      return outcome;
    } finally {
      jobs.delete(delivery.event.id);
    }
  };
}
