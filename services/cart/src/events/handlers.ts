// What cart_queue consumes, through the inbox: the product read model, and ordered units leaving carts.
import type { EventHandlers, HandlerOutcome } from '@microbazaar/kit';
import type { Carts } from '../usecases/carts.js';

const outcome = (applied: boolean, why: string): HandlerOutcome =>
  applied ? { status: 'handled' } : { status: 'skipped', reason: why };

export function cartHandlers(carts: Carts): EventHandlers {
  return {
    'product.created': async (_tx, event) => outcome(await carts.productChanged(event), 'newer news already stored'),
    'product.updated': async (_tx, event) => outcome(await carts.productChanged(event), 'newer news already stored'),
    'product.deleted': async (_tx, event) => outcome(await carts.productDeleted(event), 'newer news already stored'),
    'order.confirmed': async (_tx, event) => outcome(await carts.orderConfirmed(event), 'duplicate'),
  };
}
