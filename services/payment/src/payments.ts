// The payment use cases: the saga's inputs decide when to charge or refund; workers call the provider
// outside any transaction with a key stored before the call; recovery finishes what a crash left half-done,
// asks again about charges that got no answer, and re-reads the ones the provider is still processing.
import type { EventData } from '@microbazaar/contracts';
import {
  type Db,
  enqueueEvent,
  type InboxSql,
  idFromCursor,
  keysetPage,
  type Logger,
  NotFound,
  newEvent,
  type Principal,
  type Sql,
} from '@microbazaar/kit';
import { leaseMs as leaseFor, type PaymentConfig } from './config.js';
import { type Payment, readyToCharge, transition } from './domain/payment.js';
import type { ChargeResult, PaymentProvider, RefundResult, WebhookNews } from './providers/provider.js';
import { paymentStore } from './store/payments.js';

/** Work to do once the transaction that claimed it has committed, with the payment as claimed. */
export interface Job {
  /** charge: call (or call again) with the key; refund: give it back; check: re-read a processing charge */
  kind: 'charge' | 'refund' | 'check';
  payment: Payment;
}

type Outcome<T> = T | { outcome: 'unavailable'; error: string };

/** An answer and how many calls it took. */
interface Called<T> {
  result: Outcome<T>;
  calls: number;
}

export type PaymentsConfig = Pick<
  PaymentConfig,
  'PAYMENT_PROVIDER_TIMEOUT_MS' | 'PAYMENT_CHARGE_ATTEMPTS' | 'PAYMENT_RETRY_BASE_MS' | 'PAYMENT_PROCESSING_RECHECK_MS'
>;

export interface PaymentsDeps {
  db: Db;
  provider: PaymentProvider;
  config: PaymentsConfig;
  logger: Logger;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const refundKey = (orderId: string) => `refund-${orderId}`;

/** Asking again about an unanswered charge waits one lease, doubling per unanswered round up to this many. */
const MAX_DOUBT_LEASES = 32;

/** payment.refunded's reason when a capture turned up for a payment already failed or voided. */
export const LATE_CAPTURE_REASON = 'captured after the payment had ended: given back';

export function createPayments({ db, provider, config, logger }: PaymentsDeps) {
  const lease = leaseFor(config);
  const recheck = config.PAYMENT_PROCESSING_RECHECK_MS;

  /** What order.created says of the payment: amount, buyer, token, and the provider that will charge it. */
  const newPaymentOf = (data: EventData<'order.created'>) => ({
    orderId: data.orderId,
    userId: data.userId,
    amount: data.total.amount,
    currency: data.total.currency,
    token: data.paymentToken ?? null,
    provider: provider.name,
  });

  // ---- decisions, inside the caller's transaction ----

  async function claimCharge(tx: Sql, p: Payment): Promise<Job | undefined> {
    if (!readyToCharge(p)) return undefined;
    // the idempotency key is stored before the provider ever hears of this charge
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

  async function publish<T extends 'payment.succeeded' | 'payment.failed' | 'payment.refunded'>(
    tx: Sql,
    type: T,
    data: EventData<T>,
  ) {
    await enqueueEvent(tx, type, data);
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
        await publish(tx, 'payment.succeeded', {
          orderId: paid.orderId,
          paymentId: paid.id,
          amount: paid.amount,
          provider: paid.provider,
        });
        // cancelled while the charge was in flight: give the money back
        return paid.refundWanted || paid.orderCancelled ? claimRefund(tx, paid, paid.refundReason) : undefined;
      }
      case 'pending':
        // a webhook settles it; without one, recovery re-reads it after `recheck`
        await store.transition(paymentId, 'defer', {
          addAttempts: calls,
          leaseMs: recheck,
          providerRef: result.reference,
        });
        return undefined;
      case 'declined': {
        const reason = result.reason;
        const failed = await store.transition(paymentId, 'fail', {
          ...common,
          failureReason: reason,
          ...(result.reference ? { providerRef: result.reference } : {}),
          clearToken: true,
        });
        if (failed?.amount) {
          await publish(tx, 'payment.failed', {
            orderId: failed.orderId,
            paymentId: failed.id,
            amount: failed.amount,
            reason,
          });
        }
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

  /**
   * Every call of a round went unanswered (timeouts, connection errors, 5xx). That is no decline: the provider
   * may have taken the money. The payment stays `unknown`, keeps its token, and recovery asks again with the
   * same key once the hold runs out: one lease, doubling per unanswered round.
   */
  async function holdInDoubt(p: Payment, calls: number, error: string): Promise<void> {
    const rounds = Math.max(1, Math.ceil((p.attempts + calls) / config.PAYMENT_CHARGE_ATTEMPTS));
    const holdMs = lease * Math.min(2 ** (rounds - 1), MAX_DOUBT_LEASES);
    const held = await paymentStore(db).transition(p.id, 'noAnswer', { addAttempts: calls, leaseMs: holdMs });
    if (held)
      logger.warn(
        { orderId: p.orderId, paymentId: p.id, error, retryInMs: holdMs },
        'no answer about a charge; it stays unknown and will be asked again with the same key',
      );
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
        if (!p?.amount) return;
        await publish(tx, 'payment.refunded', {
          orderId: p.orderId,
          paymentId: p.id,
          amount: p.amount,
          ...(p.refundReason ? { reason: p.refundReason } : {}),
        });
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

  // ---- calls to the provider, outside any transaction ----

  /** Same request, same key, up to PAYMENT_CHARGE_ATTEMPTS calls with a timeout each and backoff between. */
  async function withRetries<T>(
    paymentId: string,
    what: string,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<Called<T>> {
    let lastError = '';
    for (let attempt = 1; attempt <= config.PAYMENT_CHARGE_ATTEMPTS; attempt++) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${config.PAYMENT_PROVIDER_TIMEOUT_MS} ms`));
        }, config.PAYMENT_PROVIDER_TIMEOUT_MS);
      });
      try {
        return { result: await Promise.race([call(controller.signal), timeout]), calls: attempt };
      } catch (err) {
        // whatever went wrong, the key makes another call safe
        lastError = (err as Error).message;
        logger.warn({ paymentId, attempt, error: lastError }, `${what} failed, retrying with the same idempotency key`);
      } finally {
        clearTimeout(timer);
      }
      if (attempt < config.PAYMENT_CHARGE_ATTEMPTS) await sleep(config.PAYMENT_RETRY_BASE_MS * 2 ** (attempt - 1));
    }
    return { result: { outcome: 'unavailable', error: lastError }, calls: config.PAYMENT_CHARGE_ATTEMPTS };
  }

  async function runCharge(p: Payment): Promise<void> {
    if ((p.status !== 'charging' && p.status !== 'unknown') || !p.amount || !p.idempotencyKey) return;
    const amount = p.amount;
    const key = p.idempotencyKey;
    const token = p.paymentToken;
    const { result, calls }: Called<ChargeResult> = token
      ? await withRetries(p.id, 'charge', (signal) =>
          provider.charge({ idempotencyKey: key, orderId: p.orderId, amount, token }, signal),
        )
      : { result: { outcome: 'declined', reason: 'missing_token' }, calls: 0 };
    if (result.outcome === 'succeeded') {
      // the common case in one statement: captured, and nothing asked for a refund meanwhile
      const event = newEvent('payment.succeeded', {
        orderId: p.orderId,
        paymentId: p.id,
        amount,
        provider: p.provider,
      });
      const change = {
        leaseMs: null,
        addAttempts: calls,
        providerRef: result.reference,
        charged: true,
        clearToken: true,
      };
      if (await paymentStore(db).succeedPlain(p.id, amount, change, event)) return;
    }
    if (result.outcome === 'unavailable') return holdInDoubt(p, calls, result.error);
    const next = await db.transaction((tx) => settleCharge(tx, p.id, result, calls));
    if (next) await run(next);
  }

  /** A charge still processing with no webhook for `recheck`: ask the provider where it stands. */
  async function runCheck(p: Payment): Promise<void> {
    if (p.status !== 'processing' || !p.providerRef) return;
    const reference = p.providerRef;
    const lookUp = provider.lookUpCharge?.bind(provider);
    const { result, calls }: Called<ChargeResult> = lookUp
      ? await withRetries(p.id, 'charge look-up', (signal) => lookUp(reference, signal))
      : { result: { outcome: 'pending', reference }, calls: 0 };
    if (result.outcome === 'pending' || result.outcome === 'unavailable') {
      // still open (or no answer): look again after another `recheck`; a webhook may come first
      await paymentStore(db).update(p.id, { addAttempts: calls, leaseMs: recheck }, ['processing']);
      return;
    }
    const next = await db.transaction((tx) => settleCharge(tx, p.id, result, calls));
    if (next) await run(next);
  }

  async function runRefund(p: Payment): Promise<void> {
    if (p.status !== 'refunding' || !p.amount || !p.providerRef) return;
    const amount = p.amount;
    const chargeReference = p.providerRef;
    const { result, calls } = await withRetries(p.id, 'refund', (signal) =>
      provider.refund(
        {
          idempotencyKey: refundKey(p.orderId),
          orderId: p.orderId,
          chargeReference,
          amount,
          reason: p.refundReason ?? undefined,
        },
        signal,
      ),
    );
    await db.transaction((tx) => settleRefund(tx, p.id, result, calls));
  }

  /** Runs a job; failures are logged, and the lease lets recovery try again. */
  async function run(job: Job): Promise<void> {
    try {
      if (job.kind === 'charge') await runCharge(job.payment);
      else if (job.kind === 'check') await runCheck(job.payment);
      else await runRefund(job.payment);
    } catch (err) {
      logger.error({ err, kind: job.kind, paymentId: job.payment.id }, 'payment job failed; recovery will retry it');
    }
  }

  return {
    // saga inputs: each returns the job its transaction claimed
    async orderCreated(tx: Sql, data: EventData<'order.created'>): Promise<Job | undefined> {
      return claimCharge(tx, await paymentStore(tx).recordOrder(newPaymentOf(data)));
    },

    /**
     * orderCreated for an order new here, as one statement with the event's inbox row on a fast path's
     * handle; false when the order was not new (orderCreated in the inbox transaction decides).
     */
    orderCreatedFast(sql: InboxSql, data: EventData<'order.created'>): Promise<boolean> {
      return paymentStore(sql).recordNewOrder(newPaymentOf(data));
    },

    /** stockReserved when the payment was only waiting for it, as one statement; undefined otherwise. */
    async stockReservedFast(sql: InboxSql, orderId: string): Promise<Job | undefined> {
      const claimed = await paymentStore(sql).reserveAndClaimCharge(orderId, lease);
      return claimed ? { kind: 'charge', payment: claimed } : undefined;
    },

    async stockReserved(tx: Sql, orderId: string): Promise<Job | undefined> {
      return claimCharge(tx, await paymentStore(tx).recordFlag(orderId, provider.name, 'stock_reserved'));
    },

    /** order.cancelled (any reason) and order.refunded: no charge, or the charge refunded. */
    async orderCalledOff(tx: Sql, orderId: string, reason: string): Promise<Job | undefined> {
      return callOff(tx, await paymentStore(tx).recordFlag(orderId, provider.name, 'order_cancelled'), reason);
    },

    run,

    /**
     * Takes over what is due and finishes it: charges and refunds whose worker died (lease expired), charges
     * left without an answer (asked again with the same key), and processing charges no webhook settled
     * (re-read). Returns how many.
     */
    async recover(limit = 50): Promise<number> {
      const stale = await paymentStore(db).takeOverStale(lease, limit);
      const kindOf = (p: Payment): Job['kind'] =>
        p.status === 'charging' || p.status === 'unknown' ? 'charge' : p.status === 'processing' ? 'check' : 'refund';
      await Promise.all(stale.map((payment) => run({ kind: kindOf(payment), payment })));
      return stale.length;
    },

    /** A verified webhook: settles the charge or refund it reports, once per provider event id. */
    async applyWebhook(news: WebhookNews): Promise<'applied' | 'duplicate' | 'ignored'> {
      if (news.kind === 'ignored') return 'ignored';
      const outcome = await db.transaction(async (tx) => {
        const store = paymentStore(tx);
        if (!(await store.claimProviderEvent(provider.name, news.eventId, news.type)))
          return { status: 'duplicate' as const };
        if (news.kind === 'charge') {
          const p =
            (await store.byProviderRef(news.reference)) ?? (news.orderId ? await store.byOrder(news.orderId) : null);
          if (!p) return { status: 'ignored' as const };
          return { status: 'applied' as const, job: await settleCharge(tx, p.id, news.result) };
        }
        const p = await store.byProviderRef(news.chargeReference);
        if (!p) return { status: 'ignored' as const };
        await settleRefund(tx, p.id, { outcome: 'refunded', reference: news.reference });
        return { status: 'applied' as const };
      });
      if ('job' in outcome && outcome.job) await run(outcome.job);
      return outcome.status;
    },

    /** The payments of an order (its buyer or an admin), or the caller's payments, newest first. */
    async list(
      principal: Principal,
      q: { orderId?: string | undefined; limit: number; cursor?: string | undefined },
    ): Promise<{ items: Payment[]; nextCursor: string | null }> {
      const admin = principal.role === 'admin';
      if (q.orderId) {
        const p = await paymentStore(db).byOrder(q.orderId);
        if (!p || (!admin && p.userId !== principal.userId))
          throw new NotFound('Payment not found', 'PAYMENT_NOT_FOUND');
        return { items: [p], nextCursor: null };
      }
      const rows = await paymentStore(db).page({
        limit: q.limit,
        afterId: idFromCursor(q.cursor),
        userId: admin ? undefined : principal.userId,
      });
      return keysetPage(rows, q.limit, (p) => [p.id]);
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
