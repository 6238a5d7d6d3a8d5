// What the payment service tells the platform: payment.succeeded, payment.failed and payment.refunded, each
// written to the outbox in the transaction (or the one statement) that records the outcome.
import type { AnyEvent } from '@microbazaar/contracts';
import { newEvent } from '@microbazaar/kit';
import type { Payment } from '../domain/payment.js';

type Charged = Pick<Payment, 'id' | 'orderId' | 'provider'> & { amount: NonNullable<Payment['amount']> };

/** The order is paid: order confirms it. */
export function paymentSucceeded(p: Charged): AnyEvent {
  return newEvent('payment.succeeded', { orderId: p.orderId, paymentId: p.id, amount: p.amount, provider: p.provider });
}

/** The provider declined: order cancels with payment_failed. */
export function paymentFailed(p: Charged, reason: string): AnyEvent {
  return newEvent('payment.failed', { orderId: p.orderId, paymentId: p.id, amount: p.amount, reason });
}

/** The money went back to the buyer (a cancelled order, an admin refund, a late capture). */
export function paymentRefunded(p: Charged & Pick<Payment, 'refundReason'>): AnyEvent {
  return newEvent('payment.refunded', {
    orderId: p.orderId,
    paymentId: p.id,
    amount: p.amount,
    ...(p.refundReason ? { reason: p.refundReason } : {}),
  });
}
