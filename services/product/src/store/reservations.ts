// SQL for reservations: one row per order seen, with its lines.
import type { AnyEvent } from '@microbazaar/contracts';
import { inboxClaim, type Sql, writeWithEvents } from '@microbazaar/kit';
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

    /**
     * The order's reservation with its lines and its events, in one statement; with `hold`, its
     * units are added to stock.reserved too (lock the stock rows first: lockLevels). An order seen
     * here before keeps what it had: nothing is written, `recorded` is false and `seen` its status.
     */
    async record(
      r: {
        orderId: string;
        status: ReservationStatus;
        expiresAt?: Date | null;
        reason?: string | null;
        correlationId?: string | null;
        sourceEventId?: string | null;
        lines: readonly StockLine[];
        hold: boolean;
      },
      events: readonly AnyEvent[],
    ): Promise<{ recorded: boolean; seen: ReservationStatus | null }> {
      const row = await writeWithEvents<{ recorded: number; seen: ReservationStatus | null }>(
        sql,
        {
          with: `recorded AS (
              INSERT INTO reservations (order_id, status, expires_at, reason, correlation_id, source_event_id)
              VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING RETURNING order_id),
            wanted AS (SELECT id, q FROM unnest($7::uuid[], $8::int[]) AS v(id, q)),
            lines AS (INSERT INTO reservation_lines (order_id, product_id, quantity)
              SELECT r.order_id, w.id, w.q FROM recorded r, wanted w),
            held AS (UPDATE stock s SET reserved = s.reserved + w.q, updated_at = now()
              FROM wanted w WHERE s.product_id = w.id AND $9::boolean AND EXISTS (SELECT 1 FROM recorded))`,
          params: [
            r.orderId,
            r.status,
            r.expiresAt ?? null,
            r.reason ?? null,
            r.correlationId ?? null,
            r.sourceEventId ?? null,
            r.lines.map((l) => l.productId),
            r.lines.map((l) => l.quantity),
            r.hold,
          ],
          when: 'EXISTS (SELECT 1 FROM recorded)',
          select: `(SELECT count(*) FROM recorded)::int AS recorded,
            (SELECT status FROM reservations WHERE order_id = $1) AS seen`,
        },
        events,
      );
      return { recorded: row.recorded > 0, seen: row.recorded > 0 ? null : row.seen };
    },

    /**
     * record() with hold, without a transaction or locks held beforehand: one statement that locks
     * the order's stock rows in id order and goes on only if every one is still as `read` (units on
     * hand and reserved unchanged, product for sale) and the event is new here; then the
     * reservation, its lines, the units held, the inbox row and `events`. False when anything
     * differed (a concurrent change, the order seen before): nothing was written.
     */
    async holdIfUnchanged(
      r: {
        orderId: string;
        status: ReservationStatus;
        expiresAt: Date;
        correlationId: string;
        sourceEventId: string;
        lines: readonly StockLine[];
      },
      read: ReadonlyMap<string, { onHand: number; reserved: number }>,
      events: readonly AnyEvent[],
    ): Promise<boolean> {
      const params: unknown[] = [r.orderId, r.status, r.expiresAt, r.correlationId, r.sourceEventId, r.lines.length];
      // the lines as parameters of their own (not arrays): one cached generic plan per number of lines
      const wanted: string[] = [];
      for (const line of r.lines) {
        const level = read.get(line.productId);
        if (!level) return false;
        params.push(line.productId, line.quantity, level.onHand, level.reserved);
        const n = params.length;
        wanted.push(`($${n - 3}::uuid, $${n - 2}::int, $${n - 1}::int, $${n}::int)`);
      }
      const handled = inboxClaim(sql, params);
      const row = await writeWithEvents<{ recorded: number }>(
        sql,
        {
          with: `wanted AS (SELECT * FROM (VALUES ${wanted.join(', ')}) AS w(id, q, on_hand, reserved)),
            still AS (SELECT s.product_id FROM stock s JOIN wanted w ON w.id = s.product_id
                JOIN products p ON p.id = s.product_id
              WHERE s.on_hand = w.on_hand AND s.reserved = w.reserved AND p.status = 'active'
              ORDER BY s.product_id FOR UPDATE OF s),
            recorded AS (INSERT INTO reservations (order_id, status, expires_at, correlation_id, source_event_id)
              SELECT $1::uuid, $2::text, $3::timestamptz, $4::text, $5::uuid
              WHERE (SELECT count(*) FROM still) = $6::int AND ${handled.unseen}
              ON CONFLICT (order_id) DO NOTHING RETURNING order_id),
            lines AS (INSERT INTO reservation_lines (order_id, product_id, quantity)
              SELECT r.order_id, w.id, w.q FROM recorded r, wanted w),
            held AS (UPDATE stock s SET reserved = s.reserved + w.q, updated_at = now()
              FROM wanted w WHERE s.product_id = w.id AND EXISTS (SELECT 1 FROM recorded)),
            ${handled.claim('EXISTS (SELECT 1 FROM recorded)')}`,
          params,
          when: 'EXISTS (SELECT 1 FROM recorded)',
          select: '(SELECT count(*) FROM recorded)::int AS recorded',
        },
        events,
      );
      return row.recorded > 0;
    },

    /**
     * A confirmed order's units leave on-hand stock and the reservation takes `status`, in one
     * statement (the stock rows are locked in id order, as every writer does).
     */
    async commitUnits(orderId: string, lines: readonly StockLine[], status: ReservationStatus): Promise<void> {
      await sql.query(
        `WITH locked AS (SELECT product_id FROM stock WHERE product_id = ANY($2::uuid[]) ORDER BY product_id FOR UPDATE),
              taken AS (UPDATE stock s SET on_hand = s.on_hand - v.q, reserved = s.reserved - v.q, updated_at = now()
                FROM unnest($2::uuid[], $3::int[]) AS v(id, q)
               WHERE s.product_id = v.id AND s.product_id IN (SELECT product_id FROM locked))
         UPDATE reservations SET status = $4, updated_at = now() WHERE order_id = $1`,
        [orderId, lines.map((l) => l.productId), lines.map((l) => l.quantity), status],
      );
    },

    /**
     * commitUnits for a reservation still `from` (reserved), without a transaction: one statement
     * takes its units, moves it to `to` and writes the event's inbox row, all or nothing; the
     * reservation row is locked first and the stock rows in id order, as the other writers do.
     * False when the reservation was not `from` or the event was seen here: nothing was written.
     */
    async commitIf(orderId: string, from: ReservationStatus, to: ReservationStatus): Promise<boolean> {
      const params: unknown[] = [orderId, from, to];
      const handled = inboxClaim(sql, params);
      const [row] = await sql.query<{ committed: number }>(
        `WITH moved AS (UPDATE reservations SET status = $3, updated_at = now()
              WHERE order_id = $1 AND status = $2 AND ${handled.unseen} RETURNING order_id),
            lines AS (SELECT l.product_id, l.quantity FROM reservation_lines l JOIN moved m ON m.order_id = l.order_id),
            locked AS (SELECT product_id FROM stock WHERE product_id IN (SELECT product_id FROM lines)
              ORDER BY product_id FOR UPDATE),
            taken AS (UPDATE stock s SET on_hand = s.on_hand - l.quantity, reserved = s.reserved - l.quantity,
                updated_at = now()
              FROM lines l WHERE s.product_id = l.product_id AND s.product_id IN (SELECT product_id FROM locked)),
            ${handled.claim('EXISTS (SELECT 1 FROM moved)')}
         SELECT (SELECT count(*) FROM moved)::int AS committed`,
        params,
      );
      return (row?.committed ?? 0) > 0;
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
