// What a message may show (the model templates lay out), built from the event and the read models: pure, no I/O.

import { formatMoney, multiply } from './money.js';
import type { OrderView } from './notices.js';

export interface Links {
  /** the storefront, e.g. http://localhost:8080 */
  publicUrl: string;
}

/** Everything a template may show; built here so templates only lay it out. */
export interface MessageModel {
  name: string;
  shopUrl: string;
  notificationsUrl: string;
  preferencesUrl: string;
  order?: {
    id: string;
    number: string;
    url: string;
    lines: { name: string; quantity: number; unitPrice: string; lineTotal: string }[];
    total: string | null;
    carrier?: string | undefined;
    trackingNumber?: string | undefined;
  };
  reason?: string;
  amount?: string;
  refundFollows?: boolean;
  resetUrl?: string;
  expiresAt?: string;
}

/** `#1A2B3C4D`: what a customer reads out on the phone. */
export function orderNumber(orderId: string): string {
  return `#${orderId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

/** What every message shows: the greeting and the shop's links. */
export function baseModel(name: string | null, links: Links): MessageModel {
  const shopUrl = links.publicUrl.replace(/\/+$/, '');
  return {
    name: name?.trim() || 'there',
    shopUrl,
    notificationsUrl: `${shopUrl}/account/notifications`,
    preferencesUrl: `${shopUrl}/account/notifications/preferences`,
  };
}

/** An order as messages show it: number, link, lines and total formatted. */
export function orderModel(
  orderId: string,
  links: Links,
  order: OrderView | null,
  extra: { carrier?: string | undefined; trackingNumber?: string | undefined } = {},
): NonNullable<MessageModel['order']> {
  const lines = (order?.items ?? []).map((line) => ({
    name: line.name?.trim() || `Item ${line.productId.slice(0, 8)}`,
    quantity: line.quantity,
    unitPrice: formatMoney(line.unitPrice),
    lineTotal: formatMoney(multiply(line.unitPrice, line.quantity)),
  }));
  return {
    id: orderId,
    number: orderNumber(orderId),
    url: `${links.publicUrl.replace(/\/+$/, '')}/orders/${orderId}`,
    lines,
    total: order?.total ? formatMoney(order.total) : null,
    ...extra,
  };
}
