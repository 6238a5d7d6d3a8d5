// The orders read model, fed by order.* events: who an order belongs to, its lines and total.
import type { Money } from '@microbazaar/contracts';
import type { Sql } from '@microbazaar/kit';
import type { OrderLine, OrderView } from '../domain/notices.js';

// Events can arrive out of order: a status only moves forward along this list.
const STATUS_ORDER = `ARRAY['pending', 'confirmed', 'shipped', 'delivered', 'cancelled']`;

const COLUMNS = `order_id AS "orderId", user_id AS "userId", items, total, status`;

export function orderStore(sql: Sql) {
  return {
    /** Records what an order event says; lines and total are kept when an event does not carry them. */
    async apply(o: {
      orderId: string;
      userId: string;
      status: string;
      items?: readonly OrderLine[];
      total?: Money;
    }): Promise<OrderView> {
      const rows = await sql.query<OrderView>(
        `INSERT INTO orders AS o (order_id, user_id, items, total, status)
         VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5)
         ON CONFLICT (order_id) DO UPDATE SET
           items = CASE WHEN jsonb_array_length(EXCLUDED.items) > 0 THEN EXCLUDED.items ELSE o.items END,
           total = COALESCE(EXCLUDED.total, o.total),
           status = CASE
             WHEN coalesce(array_position(${STATUS_ORDER}, EXCLUDED.status), 0)
                  >= coalesce(array_position(${STATUS_ORDER}, o.status), 0)
             THEN EXCLUDED.status ELSE o.status END,
           updated_at = now()
         RETURNING ${COLUMNS}`,
        [o.orderId, o.userId, JSON.stringify(o.items ?? []), o.total ? JSON.stringify(o.total) : null, o.status],
      );
      return rows[0] as OrderView;
    },

    async get(orderId: string): Promise<OrderView | null> {
      const rows = await sql.query<OrderView>(`SELECT ${COLUMNS} FROM orders WHERE order_id = $1`, [orderId]);
      return rows[0] ?? null;
    },
  };
}
