// The sandbox provider: test tokens, a ledger keyed by idempotency key (as a real provider keeps), and the
// failure modes a real one has. tok_ok captures, tok_declined declines, tok_error fails transiently a few
// times per key then captures, tok_slow captures but answers after the caller's timeout.
import { randomBytes } from 'node:crypto';
import type { Db } from '@microbazaar/kit';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
  TransientProviderError,
} from './provider.js';

export const SANDBOX_TOKENS = ['tok_ok', 'tok_declined', 'tok_error', 'tok_slow'] as const;

export interface SandboxOptions {
  db: Db;
  /** how long tok_slow takes to answer */
  slowMs: number;
  /** failed calls per idempotency key before tok_error captures */
  transientFailures: number;
}

interface LedgerRow {
  outcome: string | null;
  reference: string | null;
  calls: number;
}

const reference = (prefix: string) => `${prefix}_sbx_${randomBytes(9).toString('base64url')}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function sandboxProvider(opts: SandboxOptions): PaymentProvider {
  const { db } = opts;

  /**
   * One call against the ledger, in one statement: counts it, and decides `outcome` unless an earlier
   * call did (the first decision wins, so a replay with the same key gets the same answer). A call
   * among the first `failFirst` of its key decides nothing: a transient failure.
   */
  async function call(
    req: { idempotencyKey: string; orderId: string; amount: ChargeRequest['amount'] },
    kind: 'charge' | 'refund',
    outcome: string,
    ref: string | null,
    failFirst = 0,
  ): Promise<LedgerRow & { fresh: boolean }> {
    const [row] = await db.query<LedgerRow & { fresh: boolean }>(
      `INSERT INTO sandbox_ledger (idempotency_key, kind, order_id, amount, currency, outcome, reference)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $8::int < 1 THEN $6 END, CASE WHEN $8::int < 1 THEN $7 END)
       ON CONFLICT (idempotency_key) DO UPDATE SET calls = sandbox_ledger.calls + 1,
         outcome = COALESCE(sandbox_ledger.outcome, CASE WHEN sandbox_ledger.calls + 1 > $8::int THEN $6 END),
         reference = COALESCE(sandbox_ledger.reference, CASE WHEN sandbox_ledger.calls + 1 > $8::int THEN $7 END)
       RETURNING outcome, reference, calls, (xmax = 0) AS fresh`,
      [req.idempotencyKey, kind, req.orderId, req.amount.amount, req.amount.currency, outcome, ref, failFirst],
    );
    return row as LedgerRow & { fresh: boolean };
  }

  const asCharge = (row: LedgerRow): ChargeResult =>
    row.outcome === 'captured'
      ? { outcome: 'succeeded', reference: row.reference as string }
      : { outcome: 'declined', reason: row.outcome === 'invalid_token' ? 'invalid_token' : 'card_declined' };

  return {
    name: 'sandbox',

    async charge(req: ChargeRequest): Promise<ChargeResult> {
      switch (req.token) {
        case 'tok_ok':
          return asCharge(await call(req, 'charge', 'captured', reference('ch')));
        case 'tok_declined':
          return asCharge(await call(req, 'charge', 'card_declined', null));
        case 'tok_error': {
          const row = await call(req, 'charge', 'captured', reference('ch'), opts.transientFailures);
          if (!row.outcome)
            throw new TransientProviderError(`sandbox: temporary failure (call ${row.calls} for this key)`);
          return asCharge(row);
        }
        case 'tok_slow': {
          // the money is taken at once; the first answer comes too late for the caller, who retries with the same key
          const row = await call(req, 'charge', 'captured', reference('ch'));
          if (row.fresh) await sleep(opts.slowMs);
          return asCharge(row);
        }
        default:
          return asCharge(await call(req, 'charge', 'invalid_token', null));
      }
    },

    async refund(req: RefundRequest): Promise<RefundResult> {
      const [charge] = await db.query<{ outcome: string | null }>(
        `SELECT outcome FROM sandbox_ledger WHERE kind = 'charge' AND reference = $1`,
        [req.chargeReference],
      );
      if (charge?.outcome !== 'captured') return { outcome: 'failed', reason: 'no such capture' };
      const row = await call(req, 'refund', 'refunded', reference('re'));
      return { outcome: 'refunded', reference: row.reference as string };
    },
  };
}
