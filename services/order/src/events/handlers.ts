// The order's side of the saga, consumed on orders_queue through the inbox: stock and payment outcomes move the order on.
import { type EventOf, formatMoney } from '@microbazaar/contracts';
import { type EventHandlers, type FastEventHandlers, type HandlerOutcome, PermanentEventError } from '@microbazaar/kit';
import type { Order } from '../domain/order.js';
import type { Orders } from '../usecases/orders.js';
import type { StepResult } from '../usecases/saga.js';

function outcome(result: StepResult, orderId: string): HandlerOutcome {
  if (!result.order) throw new PermanentEventError(`order ${orderId} is unknown here`);
  return result.changed ? { status: 'handled' } : { status: 'skipped', reason: result.reason ?? 'nothing to do' };
}

/** A payment that does not cover its order is a bug upstream: park it for a human, never confirm. */
function coversOrder(event: EventOf<'payment.succeeded'>) {
  const { paymentId, amount } = event.data;
  return (order: Order) => {
    if (amount.amount !== order.total.amount || amount.currency !== order.total.currency) {
      throw new PermanentEventError(
        `payment ${paymentId} of ${amount.amount} ${amount.currency} does not match order total ${order.total.amount} ${order.total.currency}`,
      );
    }
  };
}

/** The common case of the busiest step in one statement (see Orders.stepFast); the rest goes the inbox's way. */
export function orderSagaFastPaths(orders: Orders): FastEventHandlers {
  return {
    'payment.succeeded': async (sql, event) => {
      const { orderId, paymentId } = event.data;
      const confirmed = await orders.stepFast(
        sql,
        orderId,
        { action: 'confirm', paymentId },
        'payment.succeeded',
        coversOrder(event),
      );
      return confirmed ? { status: 'handled' } : undefined;
    },
  };
}

export function orderSagaHandlers(orders: Orders): EventHandlers {
  return {
    'inventory.rejected': async (tx, event) => {
      const { orderId, shortLines } = event.data;
      const short = shortLines.map((l) => `${l.productId} ${l.available}/${l.requested}`).join(', ');
      const result = await orders.step(
        tx,
        orderId,
        { action: 'cancel', reason: 'out_of_stock' },
        `inventory.rejected${short ? ` (available/requested: ${short})` : ''}`,
      );
      return outcome(result, orderId);
    },

    'payment.succeeded': async (tx, event) => {
      const { orderId, paymentId } = event.data;
      const result = await orders.step(
        tx,
        orderId,
        { action: 'confirm', paymentId },
        'payment.succeeded',
        coversOrder(event),
      );
      return outcome(result, orderId);
    },

    'payment.failed': async (tx, event) => {
      const { orderId, reason } = event.data;
      const result = await orders.step(
        tx,
        orderId,
        { action: 'cancel', reason: 'payment_failed' },
        `payment.failed: ${reason}`,
      );
      return outcome(result, orderId);
    },

    // the payment service gave money back (a cancelled order, an admin refund, a capture found late)
    'payment.refunded': async (tx, event) => {
      const { orderId, paymentId, amount, reason } = event.data;
      const order = await orders.noteInHistory(
        tx,
        orderId,
        `payment.refunded: ${formatMoney(amount)} (payment ${paymentId}${reason ? `, ${reason}` : ''})`,
      );
      if (!order) throw new PermanentEventError(`order ${orderId} is unknown here`);
      return { status: 'handled' };
    },

    // the product service's sweeper gave the stock of an unpaid order back
    'inventory.released': async (tx, event) => {
      const { orderId, reason } = event.data;
      if (reason !== 'expired') return { status: 'skipped', reason: `released: ${reason}` };
      const result = await orders.step(
        tx,
        orderId,
        { action: 'cancel', reason: 'expired' },
        'inventory.released: reservation expired',
      );
      // an order confirmed at the last moment keeps its status; the release is the product service's to repair
      if (result.order && !result.changed) return { status: 'skipped', reason: result.reason ?? 'not pending' };
      return outcome(result, orderId);
    },
  };
}
