import { describe, expect, it } from 'vitest';
import {
  canTransition,
  PAYMENT_STATUSES,
  type Payment,
  type PaymentStatus,
  readyToCharge,
  TRANSITIONS,
  transition,
} from './payment.js';

const payment = (over: Partial<Payment> = {}): Payment => ({
  id: 'p',
  orderId: 'o',
  userId: 'u',
  amount: { amount: 100, currency: 'USD' },
  paymentToken: 'tok_ok',
  provider: 'sandbox',
  status: 'awaiting',
  stockReserved: true,
  orderCancelled: false,
  refundWanted: false,
  refundReason: null,
  idempotencyKey: null,
  providerRef: null,
  refundRef: null,
  failureReason: null,
  attempts: 0,
  refundedAmount: null,
  chargedAt: null,
  refundedAt: null,
  createdAt: '',
  updatedAt: '',
  ...over,
});

describe('payment state machine', () => {
  const allowed: Array<[PaymentStatus, keyof typeof TRANSITIONS, PaymentStatus]> = [
    ['awaiting', 'charge', 'charging'],
    ['charging', 'noAnswer', 'unknown'],
    ['unknown', 'noAnswer', 'unknown'],
    ['charging', 'defer', 'processing'],
    ['unknown', 'defer', 'processing'],
    ['charging', 'succeed', 'succeeded'],
    ['unknown', 'succeed', 'succeeded'],
    ['processing', 'succeed', 'succeeded'],
    ['charging', 'fail', 'failed'],
    ['unknown', 'fail', 'failed'],
    ['processing', 'fail', 'failed'],
    ['awaiting', 'void', 'voided'],
    ['succeeded', 'refund', 'refunding'],
    ['failed', 'refundLateCapture', 'refunding'],
    ['voided', 'refundLateCapture', 'refunding'],
    ['refunding', 'settleRefund', 'refunded'],
  ];
  for (const status of PAYMENT_STATUSES) {
    for (const action of Object.keys(TRANSITIONS) as Array<keyof typeof TRANSITIONS>) {
      const rule = allowed.find(([from, a]) => from === status && a === action);
      it(`${status} --${action}--> ${rule ? rule[2] : 'refused'}`, () => {
        expect(canTransition(status, action)).toBe(Boolean(rule));
        if (rule) expect(transition(payment({ status }), action)).toBe(rule[2]);
        else
          expect(() => transition(payment({ status }), action)).toThrow(expect.objectContaining({ statusCode: 409 }));
      });
    }
  }

  it('charges only once stock is reserved, the amount and token are known and the order still stands', () => {
    expect(readyToCharge(payment())).toBe(true);
    expect(readyToCharge(payment({ stockReserved: false }))).toBe(false);
    expect(readyToCharge(payment({ amount: null }))).toBe(false);
    expect(readyToCharge(payment({ paymentToken: null }))).toBe(false);
    expect(readyToCharge(payment({ orderCancelled: true }))).toBe(false);
    expect(readyToCharge(payment({ status: 'charging' }))).toBe(false);
  });
});
