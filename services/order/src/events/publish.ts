// What the order service tells the platform: one order.* event per status change, written to the outbox.
import type { EventData } from '@microbazaar/contracts';
import { enqueueEvent, type Sql } from '@microbazaar/kit';
import type { Change, Order } from '../domain/order.js';

function summary(order: Order): EventData<'order.created'> {
  return {
    orderId: order.id,
    userId: order.userId,
    items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice })),
    total: order.total,
  };
}

export async function orderCreated(tx: Sql, order: Order, paymentToken: string): Promise<void> {
  await enqueueEvent(tx, 'order.created', { ...summary(order), paymentToken });
}

export interface Shipment {
  carrier?: string | undefined;
  trackingNumber?: string | undefined;
}

/** The event of a status change made by transition(): `before` is the order as it was. */
export async function orderChanged(
  tx: Sql,
  before: Order,
  after: Order,
  change: Change,
  extra: { shipment?: Shipment; refundReason?: string } = {},
): Promise<void> {
  switch (change.action) {
    case 'confirm':
      await enqueueEvent(tx, 'order.confirmed', { ...summary(after), paymentId: change.paymentId });
      return;
    case 'cancel':
      await enqueueEvent(tx, 'order.cancelled', {
        ...summary(after),
        reason: change.reason,
        ...(before.status === 'pending' || before.status === 'confirmed' ? { previousStatus: before.status } : {}),
      });
      return;
    case 'ship':
      await enqueueEvent(tx, 'order.shipped', {
        orderId: after.id,
        userId: after.userId,
        ...(extra.shipment?.carrier ? { carrier: extra.shipment.carrier } : {}),
        ...(extra.shipment?.trackingNumber ? { trackingNumber: extra.shipment.trackingNumber } : {}),
      });
      return;
    case 'deliver':
      await enqueueEvent(tx, 'order.delivered', { orderId: after.id, userId: after.userId });
      return;
    case 'refund':
      await enqueueEvent(tx, 'order.refunded', {
        orderId: after.id,
        userId: after.userId,
        amount: after.total,
        ...(extra.refundReason ? { reason: extra.refundReason } : {}),
      });
      return;
  }
}
