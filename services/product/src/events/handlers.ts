// What the product service consumes on inventory_queue, through the inbox: the order saga's steps that
// hold, commit and release stock, each a use case of usecases/inventory.ts.
import type { EventHandlers, FastEventHandlers } from '@microbazaar/kit';
import type { Inventory } from '../usecases/inventory.js';

export function inventoryHandlers(inventory: Inventory): EventHandlers {
  return {
    'order.created': (tx, event) => inventory.reserveStock(tx, event),
    'order.confirmed': (tx, event) => inventory.commitReservation(tx, event),
    'order.cancelled': (tx, event) => inventory.releaseReservation(tx, event),
  };
}

/**
 * The common cases without a transaction (see FastEventHandler); undefined sends the event the inbox's
 * way, where the handler above decides under lock.
 */
export function inventoryFastPaths(inventory: Inventory): FastEventHandlers {
  return {
    'order.created': async (sql, event) =>
      (await inventory.reserveStockFast(sql, event)) ? { status: 'handled' } : undefined,
    'order.confirmed': async (sql, event) =>
      (await inventory.commitReservationFast(sql, event)) ? { status: 'handled' } : undefined,
  };
}
