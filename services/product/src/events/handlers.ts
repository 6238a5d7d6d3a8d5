// The inventory side of the order saga: what inventory_queue does with order.created, order.confirmed and
// order.cancelled, and the expiry sweep. Each function runs in the caller's transaction (the inbox's,
// for events), so the stock change, the reservation and the events it publishes commit together.
import type { EventOf } from '@microbazaar/contracts';
import type { EventHandlers, HandlerOutcome, Sql } from '@microbazaar/kit';
import { snapshotOf } from '../domain/products.js';
import { aggregateLines, canTransition, planReservation, type StockLine, transition } from '../domain/reservations.js';
import { productStore } from '../store/products.js';
import { type ReservationRow, reservationStore } from '../store/reservations.js';
import { stockStore } from '../store/stock.js';
import { type EventOptions, outboxEvents, type ProductEvents } from './publisher.js';

export interface InventoryOptions {
  /** how long a reservation holds stock without a confirmation */
  reservationTtlMs: number;
  now?: () => Date;
  events?: ProductEvents;
}

const handled = (reason: string): HandlerOutcome => ({ status: 'handled', reason });
const skipped = (reason: string): HandlerOutcome => ({ status: 'skipped', reason });

export function createInventoryHandlers(opts: InventoryOptions) {
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

  /** order.created: reserves every line or none. Stock rows are locked in id order, so it holds under any concurrency. */
  async function reserveStock(tx: Sql, event: EventOf<'order.created'>): Promise<HandlerOutcome> {
    const { orderId } = event.data;
    const reservations = reservationStore(tx);
    const seen = await reservations.lock(orderId);
    if (seen) return skipped(`order already seen here (${seen.status})`);
    const lines = aggregateLines(event.data.items);
    const stock = stockStore(tx);
    const plan = planReservation(lines, await stock.lockLevels(idsOf(lines)));
    const origin = { correlationId: event.correlationId, sourceEventId: event.id };
    if (!plan.ok) {
      await reservations.insert({ orderId, status: 'rejected', reason: 'out_of_stock', lines, ...origin });
      await events.inventoryRejected(tx, { orderId, reason: 'out_of_stock', shortLines: plan.short }, causedBy(event));
      return handled(`rejected: ${plan.short.length} line(s) short`);
    }
    const expiresAt = new Date(now().getTime() + opts.reservationTtlMs);
    await stock.addReserved(lines, 1);
    await reservations.insert({ orderId, status: 'reserved', expiresAt, lines, ...origin });
    await events.inventoryReserved(tx, { orderId, lines, expiresAt: expiresAt.toISOString() }, causedBy(event));
    await announceStock(tx, idsOf(lines), causedBy(event));
    return handled('reserved');
  }

  /** order.confirmed: the reserved units leave on-hand stock. */
  async function commitReservation(tx: Sql, event: EventOf<'order.confirmed'>): Promise<HandlerOutcome> {
    const { orderId } = event.data;
    const reservations = reservationStore(tx);
    const reservation = await reservations.lock(orderId);
    if (!reservation) return skipped('no reservation for this order');
    const stock = stockStore(tx);
    if (canTransition(reservation.status, 'commit')) {
      await stock.lockLevels(idsOf(reservation.lines));
      await stock.commitReserved(reservation.lines);
      await reservations.setStatus(orderId, transition(reservation.status, 'commit'));
      return handled('committed');
    }
    if (canTransition(reservation.status, 'recommit')) {
      // the sweeper released it before the confirmation arrived: take the units again if they are still there
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

  const handlers: EventHandlers = {
    'order.created': (tx, event) => reserveStock(tx, event),
    'order.confirmed': (tx, event) => commitReservation(tx, event),
    'order.cancelled': (tx, event) => releaseReservation(tx, event),
  };

  return { reserveStock, commitReservation, releaseReservation, releaseExpiredReservations, handlers };
}

export type InventoryHandlers = ReturnType<typeof createInventoryHandlers>;
