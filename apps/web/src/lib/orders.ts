// What an order's lines allow: each seller ships and delivers their own lines, the order follows them.
import type { Address, OrderLine, OrderStatus } from './types.js';

/** What the rules read of an order: its status and its lines' progress. */
type Progress = { status: OrderStatus; items: ReadonlyArray<Pick<OrderLine, 'fulfilment'>> };

/** Ship: the order is confirmed and a line the reader sees (a seller: their own) is not shipped yet. */
export function canShip(order: Progress): boolean {
  return order.status === 'confirmed' && order.items.some((l) => l.fulfilment === 'unshipped');
}

/** Mark delivered: a line the reader sees is on its way (the order may still wait for another seller). */
export function canMarkDelivered(order: Progress): boolean {
  return (
    (order.status === 'confirmed' || order.status === 'shipped') && order.items.some((l) => l.fulfilment === 'shipped')
  );
}

/** The buyer may cancel until any line has shipped. */
export function canCancel(order: Progress): boolean {
  return (
    (order.status === 'pending' || order.status === 'confirmed') &&
    order.items.every((l) => l.fulfilment === 'unshipped')
  );
}

const LINE_WORDS = { unshipped: 'Not shipped yet', shipped: 'Shipped', delivered: 'Delivered' } as const;

/** "Shipped (DHL 00340434)", "Delivered", "Not shipped yet". */
export function lineProgress(line: Pick<OrderLine, 'fulfilment' | 'carrier' | 'trackingNumber'>): string {
  const via = [line.carrier, line.trackingNumber].filter(Boolean).join(' ');
  return line.fulfilment === 'shipped' && via ? `${LINE_WORDS.shipped} (${via})` : LINE_WORDS[line.fulfilment];
}

/** The address on one line, for a table cell: "Ada Lovelace, 12 Analytical Row, N1 9GU London, GB". */
export function addressLine(a: Address): string {
  const town = [a.postalCode, a.city].filter(Boolean).join(' ');
  return [a.name, a.line1, a.line2, a.region ? `${town}, ${a.region}` : town, a.country].filter(Boolean).join(', ');
}
