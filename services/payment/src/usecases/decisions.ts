// What the saga's news and the provider's answers change, decided inside the caller's transaction: a charge
// or refund is claimed (the job to run after the commit), stopped, or settled with the event that says so.
import { enqueueEvents, type Logger, type Sql } from '@microbazaar/kit';
import type { ChargeResult, RefundResult } from '../adapters/provider.js';
import { type Payment, readyToCharge, transition } from '../domain/payment.js';
import { paymentFailed, paymentRefunded, paymentSucceeded } from '../events/publish.js';
import { paymentStore } from '../store/payments.js';

/** Work to do once the transaction that claimed it has committed, with the payment as claimed. */
export interface Job {
  /** charge: call (or call again) with the key; refund: give it back; check: re-read a processing charge */
  kind: 'charge' | 'refund' | 'check';
  payment: Payment;
}

/** No answer from the provider (timeouts, connection errors, 5xx on every call of a round). */
export type Outcome<T> = T | { outcome: 'unavailable'; error: string };

/** payment.refunded's reason when a capture turned up for a payment already failed or voided. */
export const LATE_CAPTURE_REASON = 'captured after the payment had ended: given back';

export interface DecisionsDeps {
  /** how long a claim holds a charge or refund for its worker (then recovery takes over) */
  lease: number;
  /** how long a processing charge waits for its webhook before recovery re-reads it */
  recheck: number;
  logger: Logger;
}

export function createDecisions({ lease, recheck, logger }: DecisionsDeps) {
  /** Claims the charge when everything it needs has arrived; the idempotency key is stored before any call. */
  async function claimCharge(tx: Sql, p: Payment): Promise<Job | undefined> {
    if (!readyToCharge(p)) return undefined;
    const claimed = await paymentStore(tx).update(p.id, {
      status: transition(p, 'charge'),
      idempotencyKey: p.orderId,
      leaseMs: lease,
    });
    return { kind: 'charge', payment: claimed };
  }

  async function claimRefund(tx: Sql, p: Payment, reason: string | null): Promise<Job> {
    const claimed = await paymentStore(tx).update(p.id, {
      status: transition(p, 'refund'),
      refundWanted: false,
      ...(reason ? { refundReason: reason } : {}),
      leaseMs: lease,
    });
    return { kind: 'refund', payment: claimed };
  }

  /** The order will not be paid after all: stop a charge that has not started, refund one that has. */
  async function callOff(tx: Sql, p: Payment, reason: string): Promise<Job | undefined> {
    const store = paymentStore(tx);
    switch (p.status) {
      case 'awaiting':
        await store.update(p.id, { status: transition(p, 'void'), clearToken: true });
        return undefined;
      case 'charging':
      case 'unknown':
      case 'processing':
        // the charge may still land: refund it when it does
        await store.update(p.id, { refundWanted: true, refundReason: reason });
        return undefined;
      case 'succeeded':
        return claimRefund(tx, p, reason);
      default:
        return undefined;
    }
  }

  /**
   * Records the provider's answer about a charge, in one guarded statement: the transition table's `from`
   * statuses are the WHERE clause, so a second answer for a decided charge changes nothing, except that a
   * capture turning up for a payment that already failed or was voided is refunded.
   */
  async function settleCharge(tx: Sql, paymentId: string, result: ChargeResult, calls = 0): Promise<Job | undefined> {
    const store = paymentStore(tx);
    const common = { leaseMs: null, addAttempts: calls } as const;
    switch (result.outcome) {
      case 'succeeded': {
        const paid = await store.transition(paymentId, 'succeed', {
          ...common,
          providerRef: result.reference,
          charged: true,
          clearToken: true,
        });
        if (!paid) return giveBackLateCapture(tx, paymentId, result.reference, calls);
        if (!paid.amount) return undefined;
        await enqueueEvents(tx, paymentSucceeded({ ...paid, amount: paid.amount }));
        // cancelled while the charge was in flight: give the money back
        return paid.refundWanted || paid.orderCancelled ? claimRefund(tx, paid, paid.refundReason) : undefined;
      }
      case 'pending':
        // a webhook settles it; without one, recovery re-reads it when the lease (the re-check delay) runs out
        await store.transition(paymentId, 'defer', {
          addAttempts: calls,
          leaseMs: recheck,
          providerRef: result.reference,
        });
        return undefined;
      case 'declined': {
        const failed = await store.transition(paymentId, 'fail', {
          ...common,
          failureReason: result.reason,
          ...(result.reference ? { providerRef: result.reference } : {}),
          clearToken: true,
        });
        if (failed?.amount) await enqueueEvents(tx, paymentFailed({ ...failed, amount: failed.amount }, result.reason));
        return undefined;
      }
    }
  }

  /**
   * A capture for a payment that already failed or was voided (a late webhook, a replay): the order was told
   * the payment failed and is cancelled, so the money goes back. No payment.succeeded: the order would get
   * failed-then-succeeded; it gets payment.refunded once the refund is through.
   */
  async function giveBackLateCapture(
    tx: Sql,
    paymentId: string,
    reference: string,
    calls: number,
  ): Promise<Job | undefined> {
    const late = await paymentStore(tx).transition(paymentId, 'refundLateCapture', {
      providerRef: reference,
      charged: true,
      clearToken: true,
      refundWanted: false,
      refundReason: LATE_CAPTURE_REASON,
      addAttempts: calls,
      leaseMs: lease,
    });
    if (!late) return undefined;
    logger.warn(
      { orderId: late.orderId, paymentId, reference },
      'a capture turned up for a payment that had ended; refunding it',
    );
    return { kind: 'refund', payment: late };
  }

  async function settleRefund(tx: Sql, paymentId: string, result: Outcome<RefundResult>, calls = 0): Promise<void> {
    const store = paymentStore(tx);
    const addAttempts = calls;
    switch (result.outcome) {
      case 'refunded': {
        const p = await store.transition(paymentId, 'settleRefund', {
          refundRef: result.reference,
          refunded: true,
          leaseMs: null,
          addAttempts,
        });
        if (p?.amount) await enqueueEvents(tx, paymentRefunded({ ...p, amount: p.amount }));
        return;
      }
      case 'pending':
        // the provider finishes it and says so by webhook
        await store.update(paymentId, { refundRef: result.reference, leaseMs: null, addAttempts }, ['refunding']);
        return;
      case 'failed': {
        const p = await store.update(
          paymentId,
          { failureReason: `refund: ${result.reason}`, leaseMs: null, addAttempts },
          ['refunding'],
        );
        if (p) logger.error({ orderId: p.orderId, paymentId, reason: result.reason }, 'refund refused by the provider');
        return;
      }
      case 'unavailable':
        // keep the claim until its lease runs out: recovery tries again then; a refund is never given up
        await store.update(paymentId, { addAttempts }, ['refunding']);
        logger.warn({ paymentId, error: result.error }, 'refund not possible now, will retry');
        return;
    }
  }

  return { claimCharge, callOff, settleCharge, settleRefund };
}

export type Decisions = ReturnType<typeof createDecisions>;
