// SQL for reservations: one row per order seen, with its lines.
import type { Sql } from '@microbazaar/kit';
import type { ReservationStatus, StockLine } from '../domain/reservations.js';

export interface ReservationRow {
  orderId: string;
  status: ReservationStatus;
  expiresAt: Date | null;
  reason: string | null;
  correlationId: string | null;
  sourceEventId: string | null;
  lines: StockLine[];
}

const COLUMNS = `r.order_id AS "orderId", r.status, r.expires_at AS "expiresAt", r.reason,
  r.correlation_id AS "correlationId", r.source_event_id AS "sourceEventId",
  COALESCE((SELECT json_agg(json_build_object('productId', l.product_id, 'quantity', l.quantity) ORDER BY l.product_id)
    FROM reservation_lines l WHERE l.order_id = r.order_id), '[]'::json) AS lines`;

function normalise(row: ReservationRow): ReservationRow {
  if (typeof row.lines === 'string') row.lines = JSON.parse(row.lines);
  return row;
}

export function reservationStore(sql: Sql) {
  return {
    /** The order's reservation, locked until the transaction ends; null when the order is new here. */
    async lock(orderId: string): Promise<ReservationRow | null> {
      const rows = await sql.query<ReservationRow>(
        `SELECT ${COLUMNS} FROM reservations r WHERE r.order_id = $1 FOR UPDATE OF r`,
        [orderId],
      );
      return rows[0] ? normalise(rows[0]) : null;
    },

    async get(orderId: string): Promise<ReservationRow | null> {
      const rows = await sql.query<ReservationRow>(`SELECT ${COLUMNS} FROM reservations r WHERE r.order_id = $1`, [
        orderId,
      ]);
      return rows[0] ? normalise(rows[0]) : null;
    },

    async insert(r: {
      orderId: string;
      status: ReservationStatus;
      expiresAt?: Date | null;
      reason?: string | null;
      correlationId?: string | null;
      sourceEventId?: string | null;
      lines: readonly StockLine[];
    }): Promise<void> {
      await sql.query(
        `INSERT INTO reservations (order_id, status, expires_at, reason, correlation_id, source_event_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [r.orderId, r.status, r.expiresAt ?? null, r.reason ?? null, r.correlationId ?? null, r.sourceEventId ?? null],
      );
      if (r.lines.length) {
        await sql.query(
          `INSERT INTO reservation_lines (order_id, product_id, quantity)
           SELECT $1, id, q FROM unnest($2::uuid[], $3::int[]) AS v(id, q)`,
          [r.orderId, r.lines.map((l) => l.productId), r.lines.map((l) => l.quantity)],
        );
      }
    },

    async setStatus(orderId: string, status: ReservationStatus, reason?: string): Promise<void> {
      await sql.query(
        `UPDATE reservations SET status = $2, reason = COALESCE($3, reason), updated_at = now() WHERE order_id = $1`,
        [orderId, status, reason ?? null],
      );
    },

    /** Reservations past their expiry, locked; those another sweeper holds are skipped. */
    async lockExpired(now: Date, limit: number): Promise<ReservationRow[]> {
      const rows = await sql.query<ReservationRow>(
        `SELECT ${COLUMNS} FROM reservations r
          WHERE r.status = 'reserved' AND r.expires_at <= $1
          ORDER BY r.expires_at LIMIT $2
          FOR UPDATE OF r SKIP LOCKED`,
        [now, limit],
      );
      return rows.map(normalise);
    },
  };
}
