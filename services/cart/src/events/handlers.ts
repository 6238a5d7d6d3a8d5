// What cart_queue consumes, through the inbox: the product read model, and ordered units leaving carts.
import type { EventHandlers, HandlerOutcome } from '@microbazaar/kit';
import type { Carts } from '../usecases/carts.js';

const outcome = (applied: boolean, why: string): HandlerOutcome =>
  applied ? { status: 'handled' } : { status: 'skipped', reason: why };

export function cartHandlers(carts: Carts): EventHandlers {
  return {
    'product.created': async (tx, event, ctx) =>
      outcome(await carts.productChanged(tx, event, ctx), 'newer news already stored'),
    'product.updated': async (tx, event, ctx) =>
      outcome(await carts.productChanged(tx, event, ctx), 'newer news already stored'),
    'product.deleted': async (tx, event, ctx) =>
      outcome(await carts.productDeleted(tx, event, ctx), 'newer news already stored'),
    'order.confirmed': async (tx, event, ctx) =>
      outcome(await carts.orderConfirmed(tx, event, ctx), 'the buyer has no cart'),
  };
}
