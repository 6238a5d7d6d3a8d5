// A payment and its state machine: one charge per order, at most one refund, every move guarded.
import type { Money } from '@microbazaar/contracts';
import { Conflict } from '@microbazaar/kit';

export const PAYMENT_STATUSES = [
  'awaiting',
  'charging',
  'unknown',
  'processing',
  'succeeded',
  'failed',
  'voided',
  'refunding',
  'refunded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Payment {
  id: string;
  orderId: string;
  userId: string | null;
  amount: Money | null;
  /** the provider token until the charge is decided, then null */
  paymentToken: string | null;
  provider: string;
  status: PaymentStatus;
  stockReserved: boolean;
  orderCancelled: boolean;
  refundWanted: boolean;
  refundReason: string | null;
  idempotencyKey: string | null;
  providerRef: string | null;
  refundRef: string | null;
  failureReason: string | null;
  attempts: number;
  refundedAmount: Money | null;
  chargedAt: string | null;
  refundedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * awaiting → charging (stock reserved, amount known, order not cancelled) → succeeded | failed (a decline).
 * charging → unknown: every call of a worker ended without an answer (timeout, connection error, 5xx). That
 *   is no decline: the provider may have taken the money. Recovery asks again with the same idempotency
 *   key (the provider answers a replay with the first outcome) until it says → succeeded | failed | processing.
 * charging | unknown → processing: the provider decides later; its webhook says how it ended, and recovery
 *   re-reads it when no webhook came for a while → succeeded | failed.
 * awaiting → voided (order cancelled before any charge); succeeded → refunding → refunded.
 * failed | voided → refunding: a capture turns up after all (a late webhook, a replay) and is given back.
 */
export const TRANSITIONS = {
  charge: { from: ['awaiting'], to: 'charging' },
  noAnswer: { from: ['charging', 'unknown'], to: 'unknown' },
  defer: { from: ['charging', 'unknown'], to: 'processing' },
  succeed: { from: ['charging', 'unknown', 'processing'], to: 'succeeded' },
  fail: { from: ['charging', 'unknown', 'processing'], to: 'failed' },
  void: { from: ['awaiting'], to: 'voided' },
  refund: { from: ['succeeded'], to: 'refunding' },
  refundLateCapture: { from: ['failed', 'voided'], to: 'refunding' },
  settleRefund: { from: ['refunding'], to: 'refunded' },
} as const satisfies Record<string, { from: readonly PaymentStatus[]; to: PaymentStatus }>;

export type PaymentAction = keyof typeof TRANSITIONS;

export class PaymentStateConflict extends Conflict {
  constructor(status: PaymentStatus, action: PaymentAction) {
    super(`Cannot ${action} a payment that is ${status}`, 'PAYMENT_STATE_CONFLICT');
  }
}

export function canTransition(status: PaymentStatus, action: PaymentAction): boolean {
  return (TRANSITIONS[action].from as readonly PaymentStatus[]).includes(status);
}

export function transition(payment: Payment, action: PaymentAction): PaymentStatus {
  if (!canTransition(payment.status, action)) throw new PaymentStateConflict(payment.status, action);
  return TRANSITIONS[action].to;
}

/** Everything the charge needs has arrived and nothing has called it off. */
export function readyToCharge(p: Payment): boolean {
  return (
    p.status === 'awaiting' && p.stockReserved && p.amount !== null && p.paymentToken !== null && !p.orderCancelled
  );
}
