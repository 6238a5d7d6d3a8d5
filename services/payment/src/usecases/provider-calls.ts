// The calls to the payment provider, outside any transaction: a claimed charge, refund or re-check is run
// with the same idempotency key on every try (timeout each, backoff between), its answer settled in a
// transaction; recovery takes over what a crash or an unanswered round left half-done.
import { type Db, isDatabaseUnavailable, type Logger } from '@microbazaar/kit';
import type { ChargeResult, PaymentProvider } from '../adapters/provider.js';
import type { PaymentConfig } from '../config.js';
import type { Payment } from '../domain/payment.js';
import { paymentSucceeded } from '../events/publish.js';
import { paymentStore } from '../store/payments.js';
import type { Decisions, Job, Outcome } from './decisions.js';

export type ProviderCallsConfig = Pick<
  PaymentConfig,
  'PAYMENT_PROVIDER_TIMEOUT_MS' | 'PAYMENT_CHARGE_ATTEMPTS' | 'PAYMENT_RETRY_BASE_MS'
>;

export interface ProviderCallsDeps {
  db: Db;
  provider: PaymentProvider;
  decisions: Decisions;
  config: ProviderCallsConfig;
  lease: number;
  recheck: number;
  logger: Logger;
}

/** An answer and how many calls it took. */
interface Called<T> {
  result: Outcome<T>;
  calls: number;
}

export const refundKey = (orderId: string) => `refund-${orderId}`;

/** Asking again about an unanswered charge waits one lease, doubling per unanswered round up to this many. */
const MAX_DOUBT_LEASES = 32;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createProviderCalls({ db, provider, decisions, config, lease, recheck, logger }: ProviderCallsDeps) {
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
        // our own database, not the provider (the sandbox keeps its ledger there): the job waits for it
        if (isDatabaseUnavailable(err)) throw err;
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
      const change = {
        leaseMs: null,
        addAttempts: calls,
        providerRef: result.reference,
        charged: true,
        clearToken: true,
      };
      if (await paymentStore(db).succeedPlain(p.id, amount, change, paymentSucceeded({ ...p, amount }))) return;
    }
    if (result.outcome === 'unavailable') return holdInDoubt(p, calls, result.error);
    const next = await db.transaction((tx) => decisions.settleCharge(tx, p.id, result, calls));
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
    const next = await db.transaction((tx) => decisions.settleCharge(tx, p.id, result, calls));
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
    await db.transaction((tx) => decisions.settleRefund(tx, p.id, result, calls));
  }

  /**
   * Runs a job; failures are logged, and the lease lets recovery try again. When the database went away
   * mid-job the claim is still ours and the key makes another provider call safe, so the job runs again as
   * soon as the database is back (tried every 250 ms; each try fails at once while it is down) instead of
   * waiting out its lease.
   */
  async function run(job: Job): Promise<void> {
    for (const giveUpAt = Date.now() + lease; ; ) {
      try {
        if (job.kind === 'charge') await runCharge(job.payment);
        else if (job.kind === 'check') await runCheck(job.payment);
        else await runRefund(job.payment);
        return;
      } catch (err) {
        if (isDatabaseUnavailable(err) && Date.now() < giveUpAt) {
          await sleep(250);
          continue;
        }
        logger.error({ err, kind: job.kind, paymentId: job.payment.id }, 'payment job failed; recovery will retry it');
        return;
      }
    }
  }

  return {
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
  };
}

export type ProviderCalls = ReturnType<typeof createProviderCalls>;
