// SQL for orders and checkout idempotency keys.
import type { AnyEvent } from '@microbazaar/contracts';
import { inboxClaim, type Sql, writeWithEvents } from '@microbazaar/kit';
import type { HistoryEntry, LineFulfilment, Order, OrderLine, OrderStatus, ShippingAddress } from '../domain/order.js';

interface OrderRow {
  id: string;
  userId: string;
  status: OrderStatus;
  cancelReason: Order['cancelReason'];
  /** lines stored before 0002_line_fulfilment may lack their fulfilment */
  items: Array<Omit<OrderLine, 'fulfilment'> & Partial<Pick<OrderLine, 'fulfilment'>>> | string;
  totalAmount: number | string | bigint;
  currency: string;
  shippingAddress: ShippingAddress | string;
  history: HistoryEntry[] | string;
  paymentId: string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
}

const COLUMNS = `id, user_id AS "userId", status, cancel_reason AS "cancelReason", items,
  total_amount AS "totalAmount", currency, shipping_address AS "shippingAddress", history,
  payment_id AS "paymentId", created_at AS "createdAt", updated_at AS "updatedAt"`;

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

/** What a line written before lines had their own fulfilment (0002_line_fulfilment) was: its order's. */
function fulfilmentOf(status: OrderStatus): LineFulfilment {
  return status === 'shipped' ? 'shipped' : status === 'delivered' || status === 'refunded' ? 'delivered' : 'unshipped';
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status,
    cancelReason: row.cancelReason ?? null,
    items: json(row.items).map((l) => ({ ...l, fulfilment: l.fulfilment ?? fulfilmentOf(row.status) })),
    total: { amount: Number(row.totalAmount), currency: row.currency },
    shippingAddress: json(row.shippingAddress),
    history: json(row.history),
    paymentId: row.paymentId ?? null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export interface OrderPageQuery {
  limit: number;
  /** id of the last order of the previous page */
  afterId?: string | undefined;
  status?: OrderStatus | undefined;
  /** only orders with a line in this state (of this seller, when given) */
  lineFulfilment?: { state: LineFulfilment; seller?: string | undefined } | undefined;
  /** only orders bought by this user or containing this seller's products (absent: every order) */
  visibleTo?: { userId: string; asSeller: boolean } | undefined;
}

export interface IdempotencyRecord {
  requestHash: string;
  orderId: string;
}

export function orderStore(sql: Sql) {
  return {
    /**
     * Checkout in one statement: claims the buyer's Idempotency-Key for this order, and only if the
     * claim holds, stores the order with its events. False when another request holds the key (a
     * concurrent one waits here until the holder commits, then false, or rolls back, then true).
     */
    async insertClaimed(
      order: Order,
      key: { key: string; requestHash: string },
      events: readonly AnyEvent[],
    ): Promise<boolean> {
      const sellers = [...new Set(order.items.map((i) => i.sellerId))];
      const row = await writeWithEvents<{ claimed: number }>(
        sql,
        {
          with: `claim AS (INSERT INTO idempotency_keys (user_id, key, request_hash, order_id)
              VALUES ($2::uuid, $14::text, $15::text, $1::uuid)
              ON CONFLICT DO NOTHING RETURNING order_id),
            placed AS (INSERT INTO orders (id, user_id, status, cancel_reason, items, seller_ids, total_amount, currency,
                shipping_address, history, payment_id, created_at, updated_at)
              SELECT $1::uuid, $2::uuid, $3::text, $4::text, $5::text::jsonb, $6::uuid[], $7::bigint, $8::text,
                $9::text::jsonb, $10::text::jsonb, $11::uuid,
                $12::timestamptz, $13::timestamptz
              FROM claim)`,
          params: [
            order.id,
            order.userId,
            order.status,
            order.cancelReason,
            JSON.stringify(order.items),
            sellers,
            order.total.amount,
            order.total.currency,
            JSON.stringify(order.shippingAddress),
            JSON.stringify(order.history),
            order.paymentId,
            order.createdAt,
            order.updatedAt,
            key.key,
            key.requestHash,
          ],
          when: 'EXISTS (SELECT 1 FROM claim)',
          select: '(SELECT count(*) FROM claim)::int AS claimed',
        },
        events,
      );
      return row.claimed === 1;
    },

    async byId(id: string): Promise<Order | null> {
      const rows = await sql.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
      return rows[0] ? toOrder(rows[0]) : null;
    },

    /** Reads and row-locks an order for a status change in the caller's transaction. */
    async lock(id: string): Promise<Order | null> {
      const rows = await sql.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [id]);
      return rows[0] ? toOrder(rows[0]) : null;
    },

    /** Adds a history entry that changes no status (a refund the payment service made). */
    async appendHistory(id: string, entry: { at: string; cause: string }): Promise<void> {
      await sql.query(
        `UPDATE orders SET history = history || jsonb_build_array(
           jsonb_build_object('status', status, 'at', $2::text, 'cause', $3::text)), updated_at = $2::timestamptz
          WHERE id = $1`,
        [id, entry.at, entry.cause],
      );
    },

    /**
     * Writes what transition() produced (status, reason, payment, lines, history) and its events (none
     * when a seller's step left the order's status as it was), in one statement.
     */
    async saveTransition(order: Order, events: readonly AnyEvent[]): Promise<void> {
      await writeWithEvents(
        sql,
        {
          with: `moved AS (UPDATE orders SET status = $2, cancel_reason = $3, payment_id = $4, history = $5::text::jsonb,
              updated_at = $6, items = $7::text::jsonb WHERE id = $1)`,
          params: [
            order.id,
            order.status,
            order.cancelReason,
            order.paymentId,
            JSON.stringify(order.history),
            order.updatedAt,
            JSON.stringify(order.items),
          ],
        },
        events,
      );
    },

    /**
     * saveTransition of a saga step (which moves no line) without a lock, on a fast path's handle, as one
     * statement with the event's inbox row: only if the order is still as it was read (status and number
     * of history entries: every change adds one) and the event is new here. False when it was not, and
     * nothing was written.
     */
    async saveTransitionIfUnchanged(
      order: Order,
      read: { status: OrderStatus; steps: number },
      events: readonly AnyEvent[],
    ): Promise<boolean> {
      const params: unknown[] = [
        order.id,
        order.status,
        order.cancelReason,
        order.paymentId,
        JSON.stringify(order.history),
        order.updatedAt,
        read.status,
        read.steps,
      ];
      const handled = inboxClaim(sql, params);
      const row = await writeWithEvents<{ moved: number }>(
        sql,
        {
          with: `moved AS (UPDATE orders SET status = $2, cancel_reason = $3, payment_id = $4, history = $5::text::jsonb,
              updated_at = $6
              WHERE id = $1 AND status = $7 AND jsonb_array_length(history) = $8 AND ${handled.unseen} RETURNING id),
            ${handled.claim('EXISTS (SELECT 1 FROM moved)')}`,
          params,
          when: 'EXISTS (SELECT 1 FROM moved)',
          select: '(SELECT count(*) FROM moved)::int AS moved',
        },
        events,
      );
      return row.moved === 1;
    },

    /** Newest first, keyset-paged; asks for one extra row to know whether another page exists. */
    async page(q: OrderPageQuery): Promise<Order[]> {
      const params: unknown[] = [q.limit + 1];
      const where: string[] = [];
      if (q.visibleTo) {
        params.push(q.visibleTo.userId);
        const n = params.length;
        where.push(q.visibleTo.asSeller ? `(user_id = $${n} OR seller_ids @> ARRAY[$${n}::uuid])` : `user_id = $${n}`);
      }
      if (q.status) {
        params.push(q.status);
        where.push(`status = $${params.length}`);
      }
      if (q.lineFulfilment) {
        params.push(q.lineFulfilment.state);
        const state = `$${params.length}`;
        let seller = '';
        if (q.lineFulfilment.seller) {
          params.push(q.lineFulfilment.seller);
          seller = ` AND line->>'sellerId' = $${params.length}::text`;
        }
        // lines of an older release without their own state read as their order's (see toOrder)
        where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(items) AS line
          WHERE coalesce(line->>'fulfilment', CASE status WHEN 'shipped' THEN 'shipped'
            WHEN 'delivered' THEN 'delivered' WHEN 'refunded' THEN 'delivered' ELSE 'unshipped' END) = ${state}${seller})`);
      }
      if (q.afterId) {
        params.push(q.afterId);
        where.push(`(created_at, id) < (SELECT created_at, id FROM orders WHERE id = $${params.length})`);
      }
      const rows = await sql.query<OrderRow>(
        `SELECT ${COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT $1`,
        params,
      );
      return rows.map(toOrder);
    },

    /** Pending orders older than the timeout, locked for this sweeper (others skip them). */
    async lockStalePending(olderThanSeconds: number, limit: number): Promise<Order[]> {
      const rows = await sql.query<OrderRow>(
        `SELECT ${COLUMNS} FROM orders
          WHERE status = 'pending' AND created_at < now() - ($1::int * interval '1 second')
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [olderThanSeconds, limit],
      );
      return rows.map(toOrder);
    },

    async idempotencyRecord(userId: string, key: string): Promise<IdempotencyRecord | null> {
      const rows = await sql.query<IdempotencyRecord>(
        `SELECT request_hash AS "requestHash", order_id AS "orderId" FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
        [userId, key],
      );
      return rows[0] ?? null;
    },
  };
}

export type OrderStore = ReturnType<typeof orderStore>;
