// What cart_queue does: keeps the product read model current and takes ordered units out of carts.
import type { DeliveryHandler, HandlerOutcome } from '@microbazaar/kit';
import type { Carts } from '../carts.js';

export const CART_BINDINGS = ['product.created', 'product.updated', 'product.deleted', 'order.confirmed'] as const;

/** No database, no inbox: every effect is idempotent by itself (versioned upserts, once-per-event removal). */
export function cartEventHandler(carts: Carts): DeliveryHandler {
  const outcome = (applied: boolean, why: string): HandlerOutcome =>
    applied ? { status: 'handled' } : { status: 'skipped', reason: why };
  return async ({ event }) => {
    switch (event.type) {
      case 'product.created':
      case 'product.updated':
        return outcome(await carts.productChanged(event), 'newer news already stored');
      case 'product.deleted':
        return outcome(await carts.productDeleted(event), 'newer news already stored');
      case 'order.confirmed':
        return outcome(await carts.orderConfirmed(event), 'duplicate');
      default:
        return { status: 'skipped', reason: `no handler for ${event.type}` };
    }
  };
}
