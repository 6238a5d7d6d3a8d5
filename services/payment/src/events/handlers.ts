// The payment's side of the saga, consumed on payments_queue through the inbox. Handlers only decide
// (in the inbox transaction, or a fast path's one statement); the charge or refund they claimed runs
// after the commit (ctx.afterCommit), outside any transaction, before the ack. If the process dies in
// between, the claim's lease expires and recovery (not a redelivery, which the inbox skips) finishes it
// with the same idempotency key.
import type {
  EventHandlers,
  FastEventHandlers,
  HandlerContext,
  HandlerOutcome,
  InDoubtHandlers,
} from '@microbazaar/kit';
import type { Job } from '../usecases/decisions.js';
import type { Payments } from '../usecases/payments.js';

const HANDLED: HandlerOutcome = { status: 'handled' };

export function paymentSagaHandlers(payments: Payments): EventHandlers {
  const then = (job: Job | undefined, ctx: HandlerContext) => {
    if (job) ctx.afterCommit(() => payments.run(job));
    return HANDLED;
  };
  return {
    'order.payment_requested': async (tx, event, ctx) => then(await payments.paymentRequested(tx, event.data), ctx),
    'inventory.reserved': async (tx, event, ctx) => then(await payments.stockReserved(tx, event.data.orderId), ctx),
    'order.cancelled': async (tx, event, ctx) =>
      then(await payments.orderCalledOff(tx, event.data.orderId, `order cancelled: ${event.data.reason}`), ctx),
    'order.refunded': async (tx, event, ctx) =>
      then(await payments.orderCalledOff(tx, event.data.orderId, event.data.reason ?? 'order refunded by admin'), ctx),
  };
}

/** The common cases of order.payment_requested and inventory.reserved in one statement each; the rest goes the inbox's way. */
export function paymentSagaFastPaths(payments: Payments): FastEventHandlers {
  return {
    'order.payment_requested': async (sql, event) =>
      (await payments.paymentRequestedFast(sql, event.data)) ? HANDLED : undefined,
    'inventory.reserved': async (sql, event, ctx) => {
      const job = await payments.stockReservedFast(sql, event.data.orderId);
      if (!job) return undefined;
      ctx.afterCommit(() => payments.run(job));
      return HANDLED;
    },
  };
}

/**
 * A fast path whose answer was lost with the database, found made when the event came round again: the
 * charge it claimed runs now, not when its lease runs out (26 s by default) and recovery finds it.
 */
export function paymentSagaInDoubt(payments: Payments): InDoubtHandlers {
  return {
    'inventory.reserved': async (sql, event, ctx) => {
      const job = await payments.claimedCharge(sql, event.data.orderId);
      if (job) ctx.afterCommit(() => payments.run(job));
    },
  };
}
