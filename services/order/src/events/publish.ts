// What the order service tells the platform: one order.* event per status change, written to the outbox
// by the statement that makes the change (the store's writes take the event along).
import type { AnyEvent, EventData } from '@microbazaar/contracts';
import { newEvent } from '@microbazaar/kit';
import type { Change, Order, Shipment } from '../domain/order.js';

function summary(order: Order): EventData<'order.created'> {
  return {
    orderId: order.id,
    userId: order.userId,
    // the name as ordered: the buyer's mails list the lines by it (the product may be renamed or gone later)
    items: order.items.map((i) => ({
      productId: i.productId,
      name: i.name,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
    })),
    total: order.total,
  };
}

/**
 * A new order's events: order.created for every consumer (stock, notices), and the payment's request
 * with the buyer's token, bound by the payment service's queue only; the outbox drops the token once the
 * broker has it (contracts' SECRET_FIELDS).
 */
export function orderPlaced(order: Order, paymentToken: string): AnyEvent[] {
  return [
    newEvent('order.payment_requested', {
      orderId: order.id,
      userId: order.userId,
      total: order.total,
      paymentToken,
    }),
    newEvent('order.created', summary(order)),
  ];
}

/** The shipments of an order's lines, each carrier and tracking number once. */
function shipmentsOf(order: Order): Shipment[] {
  const seen = new Map<string, Shipment>();
  for (const l of order.items) {
    if (!l.carrier && !l.trackingNumber) continue;
    const shipment = {
      ...(l.carrier ? { carrier: l.carrier } : {}),
      ...(l.trackingNumber ? { trackingNumber: l.trackingNumber } : {}),
    };
    seen.set(JSON.stringify([l.carrier, l.trackingNumber]), shipment);
  }
  return [...seen.values()];
}

/**
 * The events of a change made by transition(): `before` is the order as it was. Shipping and delivery
 * tell the platform once, when the order as a whole is shipped or delivered (its last seller's step);
 * a seller's step that leaves the order's status as it was publishes nothing.
 */
export function orderChanged(
  before: Order,
  after: Order,
  change: Change,
  extra: { refundReason?: string } = {},
): AnyEvent[] {
  switch (change.action) {
    case 'confirm':
      return [newEvent('order.confirmed', { ...summary(after), paymentId: change.paymentId })];
    case 'cancel':
      return [
        newEvent('order.cancelled', {
          ...summary(after),
          reason: change.reason,
          ...(before.status === 'pending' || before.status === 'confirmed' ? { previousStatus: before.status } : {}),
        }),
      ];
    case 'ship': {
      if (after.status !== 'shipped' || before.status === 'shipped') return [];
      const shipments = shipmentsOf(after);
      // one parcel: its carrier and tracking number as before; several sellers' parcels: each in `shipments`
      const [only] = shipments.length === 1 ? shipments : [];
      return [
        newEvent('order.shipped', {
          orderId: after.id,
          userId: after.userId,
          ...(only?.carrier ? { carrier: only.carrier } : {}),
          ...(only?.trackingNumber ? { trackingNumber: only.trackingNumber } : {}),
          ...(shipments.length > 1 ? { shipments } : {}),
        }),
      ];
    }
    case 'deliver':
      if (after.status !== 'delivered' || before.status === 'delivered') return [];
      return [newEvent('order.delivered', { orderId: after.id, userId: after.userId })];
    case 'refund':
      return [
        newEvent('order.refunded', {
          orderId: after.id,
          userId: after.userId,
          amount: after.total,
          ...(extra.refundReason ? { reason: extra.refundReason } : {}),
        }),
      ];
  }
}
