// The payment's inputs from the saga: order.payment_requested brings the amount and the token (the order
// service sends it to this service alone), inventory.reserved the
// go-ahead, order.cancelled and order.refunded call it off. Each returns the job its write claimed.
import type { EventData } from '@microbazaar/contracts';
import type { InboxSql, Sql } from '@microbazaar/kit';
import { paymentStore } from '../store/payments.js';
import type { Decisions, Job } from './decisions.js';

export interface SagaDeps {
  decisions: Decisions;
  /** the provider that will charge a new payment */
  providerName: string;
  lease: number;
}

export function createSagaSteps({ decisions, providerName, lease }: SagaDeps) {
  /** What the payment request says: amount, buyer, token, and the provider that will charge it. */
  const newPaymentOf = (data: EventData<'order.payment_requested'>) => ({
    orderId: data.orderId,
    userId: data.userId,
    amount: data.total.amount,
    currency: data.total.currency,
    token: data.paymentToken,
    provider: providerName,
  });

  return {
    /** order.payment_requested in the inbox transaction: the payment recorded, its charge claimed if the stock is reserved. */
    async paymentRequested(tx: Sql, data: EventData<'order.payment_requested'>): Promise<Job | undefined> {
      return decisions.claimCharge(tx, await paymentStore(tx).recordOrder(newPaymentOf(data)));
    },

    /**
     * paymentRequested for an order new here, as one statement with the event's inbox row on a fast path's
     * handle; false when the order was not new (paymentRequested in the inbox transaction decides).
     */
    paymentRequestedFast(sql: InboxSql, data: EventData<'order.payment_requested'>): Promise<boolean> {
      return paymentStore(sql).recordNewOrder(newPaymentOf(data));
    },

    async stockReserved(tx: Sql, orderId: string): Promise<Job | undefined> {
      return decisions.claimCharge(tx, await paymentStore(tx).recordFlag(orderId, providerName, 'stock_reserved'));
    },

    /** stockReserved when the payment was only waiting for it, as one statement; undefined otherwise. */
    async stockReservedFast(sql: InboxSql, orderId: string): Promise<Job | undefined> {
      const claimed = await paymentStore(sql).reserveAndClaimCharge(orderId, lease);
      return claimed ? { kind: 'charge', payment: claimed } : undefined;
    },

    /**
     * inventory.reserved's fast path went unanswered (the database went away after the statement) and turned
     * out made: the charge it claimed, still ours to run (its lease holds it for this worker).
     */
    async claimedCharge(sql: Sql, orderId: string): Promise<Job | undefined> {
      const p = await paymentStore(sql).byOrder(orderId);
      return p?.status === 'charging' ? { kind: 'charge', payment: p } : undefined;
    },

    /** order.cancelled (any reason) and order.refunded: no charge, or the charge refunded. */
    async orderCalledOff(tx: Sql, orderId: string, reason: string): Promise<Job | undefined> {
      return decisions.callOff(tx, await paymentStore(tx).recordFlag(orderId, providerName, 'order_cancelled'), reason);
    },
  };
}
