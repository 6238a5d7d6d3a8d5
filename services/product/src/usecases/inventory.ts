// The inventory side of the order saga: reserving an order's stock (order.created), committing it
// (order.confirmed), releasing it (order.cancelled) and releasing what expired. Each step runs in the
// caller's transaction (the inbox's, for events), so the stock change, the reservation and the events it
// publishes commit together; the *Fast steps do the common case as guarded single statements instead.
import type { AnyEvent, EventOf } from '@microbazaar/contracts';
import { type Db, type HandlerOutcome, type InboxSql, newEvent, type Sql } from '@microbazaar/kit';
import { snapshotOf } from '../domain/products.js';
import { aggregateLines, canTransition, planReservation, type StockLine, transition } from '../domain/reservations.js';
import { type EventOptions, outboxEvents, type ProductEvents } from '../events/publish.js';
import { productStore } from '../store/products.js';
import { type ReservationRow, reservationStore } from '../store/reservations.js';
import { type LockedStock, stockStore } from '../store/stock.js';

export interface InventoryOptions {
  db: Db;
  /** how long a reservation holds stock without a confirmation */
  reservationTtlMs: number;
  now?: () => Date;
  events?: ProductEvents;
}

const handled = (reason: string): HandlerOutcome => ({ status: 'handled', reason });
const skipped = (reason: string): HandlerOutcome => ({ status: 'skipped', reason });

/** Reservations released per transaction by the expiry sweep. */
const SWEEP_BATCH = 100;

export function createInventory(opts: InventoryOptions) {
  const events = opts.events ?? outboxEvents;
  const now = opts.now ?? (() => new Date());

  /** product.updated with the new available stock, for the read models of other services. */
  async function announceStock(tx: Sql, productIds: readonly string[], eventOpts?: EventOptions): Promise<void> {
    const products = await productStore(tx).byIds([...new Set(productIds)]);
    for (const product of products) await events.productUpdated(tx, snapshotOf(product, ['stock']), eventOpts);
  }

  const idsOf = (lines: readonly StockLine[]) => lines.map((l) => l.productId);
  /** What an event handler publishes continues the order's chain (also when called outside a consumer). */
  const causedBy = (event: { id: string; correlationId: string }): EventOptions => ({
    correlationId: event.correlationId,
    causationId: event.id,
  });

  /** inventory.reserved, and product.updated with the new available stock for the products' read models. */
  function reservedEvents(
    event: EventOf<'order.created'>,
    lines: readonly StockLine[],
    levels: readonly LockedStock[],
    expiresAt: Date,
  ): AnyEvent[] {
    const cause = causedBy(event);
    const level = new Map(levels.map((l) => [l.productId.toLowerCase(), l]));
    return [
      newEvent(
        'inventory.reserved',
        { orderId: event.data.orderId, lines: [...lines], expiresAt: expiresAt.toISOString() },
        cause,
      ),
      ...lines.flatMap((line) => {
        const locked = level.get(line.productId);
        if (!locked) return [];
        const available = locked.onHand - locked.reserved - line.quantity;
        return [newEvent('product.updated', snapshotOf({ ...locked.product, available }, ['stock']), cause)];
      }),
    ];
  }

  /**
   * order.created: reserves every line or none. Stock rows are locked in id order, so it holds under any
   * concurrency. Two statements: the locked levels (with what product.updated needs), then the
   * reservation, its units and its events at once.
   */
  async function reserveStock(tx: Sql, event: EventOf<'order.created'>): Promise<HandlerOutcome> {
    const { orderId } = event.data;
    const lines = aggregateLines(event.data.items);
    const levels = await stockStore(tx).lockLevels(idsOf(lines));
    const plan = planReservation(lines, levels);
    const origin = { correlationId: event.correlationId, sourceEventId: event.id };
    const cause = causedBy(event);
    if (!plan.ok) {
      const rejected = newEvent(
        'inventory.rejected',
        { orderId, reason: 'out_of_stock', shortLines: plan.short },
        cause,
      );
      const { recorded, seen } = await reservationStore(tx).record(
        { orderId, status: 'rejected', reason: 'out_of_stock', lines, ...origin, hold: false },
        [rejected],
      );
      if (!recorded) return skipped(`order already seen here (${seen ?? 'just now'})`);
      return handled(`rejected: ${plan.short.length} line(s) short`);
    }
    const expiresAt = new Date(now().getTime() + opts.reservationTtlMs);
    const { recorded, seen } = await reservationStore(tx).record(
      { orderId, status: 'reserved', expiresAt, lines, ...origin, hold: true },
      reservedEvents(event, lines, levels, expiresAt),
    );
    if (!recorded) return skipped(`order already seen here (${seen ?? 'just now'})`);
    // a plain "handled": the inbox row needs no second write to say what the event type already does
    return { status: 'handled' };
  }

  /** order.confirmed: the reserved units leave on-hand stock. */
  async function commitReservation(tx: Sql, event: EventOf<'order.confirmed'>): Promise<HandlerOutcome> {
    const { orderId } = event.data;
    const reservations = reservationStore(tx);
    const reservation = await reservations.lock(orderId);
    if (!reservation) return skipped('no reservation for this order');
    if (canTransition(reservation.status, 'commit')) {
      await reservations.commitUnits(orderId, reservation.lines, transition(reservation.status, 'commit'));
      return { status: 'handled' };
    }
    if (canTransition(reservation.status, 'recommit')) {
      // the sweeper released it before the confirmation arrived: take the units again if they are still there
      const stock = stockStore(tx);
      const plan = planReservation(reservation.lines, await stock.lockLevels(idsOf(reservation.lines)));
      if (!plan.ok) return skipped('reservation expired and the stock is gone');
      await stock.takeOnHand(reservation.lines);
      await reservations.setStatus(orderId, transition(reservation.status, 'recommit'), 'committed after expiry');
      await announceStock(tx, idsOf(reservation.lines), causedBy(event));
      return handled('committed after expiry');
    }
    return skipped(`reservation is ${reservation.status}`);
  }

  /** order.cancelled: a reservation gives its units back; a confirmed order's units go back on hand. */
  async function releaseReservation(tx: Sql, event: EventOf<'order.cancelled'>): Promise<HandlerOutcome> {
    const { orderId } = event.data;
    const reservations = reservationStore(tx);
    const reservation = await reservations.lock(orderId);
    if (!reservation) {
      // the cancellation overtook the order: remember it, so a late order.created reserves nothing
      await reservations.insert({
        orderId,
        status: 'cancelled',
        reason: event.data.reason,
        lines: [],
        correlationId: event.correlationId,
        sourceEventId: event.id,
      });
      return handled('cancelled before any reservation');
    }
    const stock = stockStore(tx);
    const action = canTransition(reservation.status, 'release')
      ? 'release'
      : canTransition(reservation.status, 'restock')
        ? 'restock'
        : undefined;
    if (!action) return skipped(`reservation is ${reservation.status}`);
    await stock.lockLevels(idsOf(reservation.lines));
    if (action === 'release') await stock.addReserved(reservation.lines, -1);
    else await stock.restock(reservation.lines);
    await reservations.setStatus(orderId, transition(reservation.status, action), event.data.reason);
    await events.inventoryReleased(
      tx,
      { orderId, lines: reservation.lines, reason: 'order_cancelled' },
      causedBy(event),
    );
    await announceStock(tx, idsOf(reservation.lines), causedBy(event));
    return handled(action === 'release' ? 'released' : 'restocked');
  }

  /**
   * Releases up to `limit` reservations past their expiry (others' locked ones are skipped, so
   * several instances may sweep at once) and publishes inventory.released for each; returns how many.
   */
  async function releaseExpiredReservations(tx: Sql, at: Date = now(), limit = 100): Promise<number> {
    const reservations = reservationStore(tx);
    const expired: ReservationRow[] = await reservations.lockExpired(at, limit);
    if (expired.length === 0) return 0;
    const lines = aggregateLines(expired.flatMap((r) => r.lines));
    const stock = stockStore(tx);
    await stock.lockLevels(idsOf(lines));
    await stock.addReserved(lines, -1);
    for (const r of expired) {
      await reservations.setStatus(r.orderId, transition(r.status, 'expire'), 'expired');
      const origin: EventOptions = {
        ...(r.correlationId ? { correlationId: r.correlationId } : {}),
        ...(r.sourceEventId ? { causationId: r.sourceEventId } : {}),
      };
      await events.inventoryReleased(tx, { orderId: r.orderId, lines: r.lines, reason: 'expired' }, origin);
    }
    await announceStock(tx, idsOf(lines));
    return expired.length;
  }

  /** Releases every expired reservation, in batches of SWEEP_BATCH (one transaction each); returns how many. */
  async function releaseExpired(at: () => Date = now): Promise<number> {
    let total = 0;
    let released: number;
    do {
      released = await opts.db.transaction((tx) => releaseExpiredReservations(tx, at(), SWEEP_BATCH));
      total += released;
    } while (released === SWEEP_BATCH);
    return total;
  }

  /**
   * order.created, the common case without a transaction: the levels read, then one statement that holds
   * the units only if every level is still as read. False: the transactional step decides (a rejection, a
   * race, a repeat).
   */
  async function reserveStockFast(sql: InboxSql, event: EventOf<'order.created'>): Promise<boolean> {
    const lines = aggregateLines(event.data.items);
    const levels = await stockStore(sql).readLevels(idsOf(lines));
    // short lines are decided under lock, by the transactional step
    if (!planReservation(lines, levels).ok) return false;
    const expiresAt = new Date(now().getTime() + opts.reservationTtlMs);
    return reservationStore(sql).holdIfUnchanged(
      {
        orderId: event.data.orderId,
        status: 'reserved',
        expiresAt,
        correlationId: event.correlationId,
        sourceEventId: event.id,
        lines,
      },
      new Map(levels.map((l) => [l.productId.toLowerCase(), l])),
      reservedEvents(event, lines, levels, expiresAt),
    );
  }

  /** order.confirmed in one statement: commits a `reserved` reservation; false for anything else. */
  function commitReservationFast(sql: InboxSql, event: EventOf<'order.confirmed'>): Promise<boolean> {
    return reservationStore(sql).commitIf(event.data.orderId, 'reserved', transition('reserved', 'commit'));
  }

  return {
    reserveStock,
    commitReservation,
    releaseReservation,
    releaseExpiredReservations,
    releaseExpired,
    reserveStockFast,
    commitReservationFast,
  };
}

export type Inventory = ReturnType<typeof createInventory>;
