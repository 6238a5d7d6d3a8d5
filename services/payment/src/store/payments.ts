// SQL for payments: one row per order, fed by the saga's events, moved by the charge and refund workers.
import type { AnyEvent, Money } from '@microbazaar/contracts';
import { inboxClaim, type Sql, writeWithEvents } from '@microbazaar/kit';
import { type Payment, type PaymentAction, type PaymentStatus, TRANSITIONS } from '../domain/payment.js';

/** A row as read with COLUMNS: a Payment whose money and times are still the driver's. */
type PaymentRow = Omit<
  Payment,
  'amount' | 'refundedAmount' | 'chargedAt' | 'refundedAt' | 'createdAt' | 'updatedAt'
> & {
  amount: number | string | null;
  currency: string | null;
  refundedAmount: number | string | null;
  chargedAt: Date | string | null;
  refundedAt: Date | string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
};

/** What order.payment_requested records: the amount, the buyer, the token and the provider. */
interface OrderToPay {
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  token: string | null;
  provider: string;
}

const COLUMNS = `id, order_id AS "orderId", user_id AS "userId", amount, currency, payment_token AS "paymentToken",
  provider, status, stock_reserved AS "stockReserved", order_cancelled AS "orderCancelled",
  refund_wanted AS "refundWanted", refund_reason AS "refundReason", idempotency_key AS "idempotencyKey",
  provider_ref AS "providerRef", refund_ref AS "refundRef", failure_reason AS "failureReason", attempts,
  refunded_amount AS "refundedAmount", charged_at AS "chargedAt", refunded_at AS "refundedAt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

function toPayment(r: PaymentRow): Payment {
  const money = (amount: number | string | null) =>
    amount === null || r.currency === null ? null : { amount: Number(amount), currency: r.currency };
  return {
    id: r.id,
    orderId: r.orderId,
    userId: r.userId,
    amount: money(r.amount),
    paymentToken: r.paymentToken,
    provider: r.provider,
    status: r.status,
    stockReserved: r.stockReserved,
    orderCancelled: r.orderCancelled,
    refundWanted: r.refundWanted,
    refundReason: r.refundReason,
    idempotencyKey: r.idempotencyKey,
    providerRef: r.providerRef,
    refundRef: r.refundRef,
    failureReason: r.failureReason,
    attempts: Number(r.attempts),
    refundedAmount: money(r.refundedAmount),
    chargedAt: iso(r.chargedAt),
    refundedAt: iso(r.refundedAt),
    createdAt: iso(r.createdAt) as string,
    updatedAt: iso(r.updatedAt) as string,
  };
}

/** Fields a worker or a handler changes; the rest stays. */
export interface PaymentChange {
  status?: PaymentStatus;
  stockReserved?: boolean;
  orderCancelled?: boolean;
  refundWanted?: boolean;
  refundReason?: string | null;
  idempotencyKey?: string;
  providerRef?: string | null;
  refundRef?: string | null;
  failureReason?: string | null;
  /** drop the token (the charge is decided) */
  clearToken?: boolean;
  /** provider calls made by a worker */
  addAttempts?: number;
  /** hold the row for this worker (or until recovery's next look) for ms; null releases it */
  leaseMs?: number | null;
  charged?: boolean;
  refunded?: boolean;
}

const COLUMN_OF: Record<string, string> = {
  status: 'status',
  stockReserved: 'stock_reserved',
  orderCancelled: 'order_cancelled',
  refundWanted: 'refund_wanted',
  refundReason: 'refund_reason',
  idempotencyKey: 'idempotency_key',
  providerRef: 'provider_ref',
  refundRef: 'refund_ref',
  failureReason: 'failure_reason',
};

/** The SET list of a change (updated_at included), its parameters appended to `params`. */
function setList(change: PaymentChange, params: unknown[]): string {
  const sets: string[] = ['updated_at = now()'];
  for (const [key, column] of Object.entries(COLUMN_OF)) {
    const value = change[key as keyof PaymentChange];
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  if (change.clearToken) sets.push('payment_token = NULL');
  if (change.addAttempts) {
    params.push(change.addAttempts);
    sets.push(`attempts = attempts + $${params.length}`);
  }
  if (change.leaseMs === null) sets.push('lease_until = NULL');
  else if (change.leaseMs !== undefined) {
    params.push(change.leaseMs);
    sets.push(`lease_until = now() + ($${params.length}::int * interval '1 millisecond')`);
  }
  if (change.charged) sets.push('charged_at = now()');
  if (change.refunded) sets.push('refunded_at = now(), refunded_amount = amount');
  return sets.join(', ');
}

export function paymentStore(sql: Sql) {
  async function update(id: string, change: PaymentChange): Promise<Payment>;
  /** Only while the status is one of `onlyFrom`; null otherwise. */
  async function update(id: string, change: PaymentChange, onlyFrom: readonly PaymentStatus[]): Promise<Payment | null>;
  async function update(
    id: string,
    change: PaymentChange,
    onlyFrom?: readonly PaymentStatus[],
  ): Promise<Payment | null> {
    const params: unknown[] = [id];
    const sets = setList(change, params);
    let guard = '';
    if (onlyFrom) {
      params.push(onlyFrom);
      guard = ` AND status = ANY($${params.length}::text[])`;
    }
    const [row] = await sql.query<PaymentRow>(
      `UPDATE payments SET ${sets} WHERE id = $1${guard} RETURNING ${COLUMNS}`,
      params,
    );
    return row ? toPayment(row) : null;
  }

  return {
    /** What order.payment_requested says: the amount, the buyer and the token. Creates the row if the reservation came first. */
    async recordOrder(o: OrderToPay): Promise<Payment> {
      const [row] = await sql.query<PaymentRow>(
        `INSERT INTO payments (order_id, user_id, amount, currency, payment_token, provider)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id) DO UPDATE SET user_id = EXCLUDED.user_id, amount = EXCLUDED.amount,
           currency = EXCLUDED.currency,
           payment_token = CASE WHEN payments.status = 'awaiting' THEN EXCLUDED.payment_token ELSE payments.payment_token END,
           updated_at = now()
         RETURNING ${COLUMNS}`,
        [o.orderId, o.userId, o.amount, o.currency, o.token, o.provider],
      );
      return toPayment(row as PaymentRow);
    },

    /** A flag from the saga (stock reserved, order cancelled), creating the row if it is the first news. */
    async recordFlag(orderId: string, provider: string, flag: 'stock_reserved' | 'order_cancelled'): Promise<Payment> {
      const [row] = await sql.query<PaymentRow>(
        `INSERT INTO payments (order_id, provider, ${flag}) VALUES ($1, $2, true)
         ON CONFLICT (order_id) DO UPDATE SET ${flag} = true, updated_at = now()
         RETURNING ${COLUMNS}`,
        [orderId, provider],
      );
      return toPayment(row as PaymentRow);
    },

    async byId(id: string): Promise<Payment | null> {
      const rows = await sql.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
      return rows[0] ? toPayment(rows[0]) : null;
    },

    async byOrder(orderId: string): Promise<Payment | null> {
      const rows = await sql.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`, [orderId]);
      return rows[0] ? toPayment(rows[0]) : null;
    },

    async byProviderRef(ref: string): Promise<Payment | null> {
      const rows = await sql.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE provider_ref = $1`, [ref]);
      return rows[0] ? toPayment(rows[0]) : null;
    },

    update,

    // ---- one-statement saga steps on a fast path's handle (no transaction), each with its event's inbox
    // row (inboxClaim): false or null when the state was not the common case, and nothing was written ----

    /** order.payment_requested for an order new here: its payment row, awaiting the reservation. */
    async recordNewOrder(o: OrderToPay): Promise<boolean> {
      const params: unknown[] = [o.orderId, o.userId, o.amount, o.currency, o.token, o.provider];
      const handled = inboxClaim(sql, params);
      const [row] = await sql.query<{ added: number }>(
        `WITH added AS (INSERT INTO payments (order_id, user_id, amount, currency, payment_token, provider)
              SELECT $1::uuid, $2::uuid, $3::bigint, $4::text, $5::text, $6::text WHERE ${handled.unseen}
              ON CONFLICT (order_id) DO NOTHING RETURNING id),
            ${handled.claim('EXISTS (SELECT 1 FROM added)')}
         SELECT (SELECT count(*) FROM added)::int AS added`,
        params,
      );
      return (row?.added ?? 0) > 0;
    },

    /**
     * inventory.reserved for a payment that was only waiting for it (awaiting, amount and token known,
     * not called off: readyToCharge once the stock is reserved): flags the stock and claims the
     * charge (`charge` transition, key = order id, leased), as recordFlag + claimCharge do. The
     * claimed payment, or null.
     */
    async reserveAndClaimCharge(orderId: string, leaseMs: number): Promise<Payment | null> {
      const { from, to } = TRANSITIONS.charge;
      const params: unknown[] = [orderId, from, to, leaseMs];
      const handled = inboxClaim(sql, params);
      const [row] = await sql.query<PaymentRow>(
        `WITH claimed AS (UPDATE payments SET stock_reserved = true, status = $3, idempotency_key = order_id::text,
              lease_until = now() + ($4::int * interval '1 millisecond'), updated_at = now()
              WHERE order_id = $1 AND status = ANY($2::text[]) AND amount IS NOT NULL AND payment_token IS NOT NULL
                AND NOT order_cancelled AND ${handled.unseen}
              RETURNING *),
            ${handled.claim('EXISTS (SELECT 1 FROM claimed)')}
         SELECT ${COLUMNS} FROM claimed`,
        params,
      );
      return row ? toPayment(row) : null;
    },

    /**
     * transition(id, 'succeed', change) with payment.succeeded, as one statement, for the plain case
     * only: the payment still has the amount the event states and nobody asked for a refund meanwhile.
     */
    async succeedPlain(
      id: string,
      amount: Money,
      change: Omit<PaymentChange, 'status'>,
      event: AnyEvent,
    ): Promise<boolean> {
      const { from, to } = TRANSITIONS.succeed;
      const params: unknown[] = [id, from, amount.amount, amount.currency];
      const sets = setList({ ...change, status: to }, params);
      const row = await writeWithEvents<{ paid: number }>(
        sql,
        {
          with: `paid AS (UPDATE payments SET ${sets}
              WHERE id = $1 AND status = ANY($2::text[]) AND amount = $3 AND currency = $4
                AND NOT refund_wanted AND NOT order_cancelled RETURNING id)`,
          params,
          when: 'EXISTS (SELECT 1 FROM paid)',
          select: '(SELECT count(*) FROM paid)::int AS paid',
        },
        event,
      );
      return row.paid > 0;
    },

    /** Moves a payment by `action` when its status allows it: the transition table is the guard. */
    transition(id: string, action: PaymentAction, change: Omit<PaymentChange, 'status'>): Promise<Payment | null> {
      const { from, to } = TRANSITIONS[action];
      return update(id, { ...change, status: to }, from);
    },

    /**
     * Payments whose lease ran out, taken over for ms: charges and refunds whose worker crashed or gave up
     * mid-way, unknown charges due to be asked again, processing charges due to be re-read.
     */
    async takeOverStale(leaseMs: number, limit: number): Promise<Payment[]> {
      const rows = await sql.query<PaymentRow>(
        `UPDATE payments SET lease_until = now() + ($1::int * interval '1 millisecond'), updated_at = now()
          WHERE id IN (SELECT id FROM payments
                        WHERE status IN ('charging', 'unknown', 'processing', 'refunding') AND lease_until < now()
                        ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING ${COLUMNS}`,
        [leaseMs, limit],
      );
      return rows.map(toPayment);
    },

    async page(q: {
      limit: number;
      afterId?: string | undefined;
      userId?: string | undefined;
      orderId?: string | undefined;
    }): Promise<Payment[]> {
      const params: unknown[] = [q.limit + 1];
      const where: string[] = [];
      if (q.userId) {
        params.push(q.userId);
        where.push(`user_id = $${params.length}`);
      }
      if (q.orderId) {
        params.push(q.orderId);
        where.push(`order_id = $${params.length}`);
      }
      if (q.afterId) {
        params.push(q.afterId);
        where.push(`(created_at, id) < (SELECT created_at, id FROM payments WHERE id = $${params.length})`);
      }
      const rows = await sql.query<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT $1`,
        params,
      );
      return rows.map(toPayment);
    },

    /** Records a webhook delivery; false when it was applied before. */
    async claimProviderEvent(provider: string, eventId: string, type: string): Promise<boolean> {
      const rows = await sql.query(
        `INSERT INTO provider_events (provider, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
        [provider, eventId, type],
      );
      return rows.length === 1;
    },
  };
}
