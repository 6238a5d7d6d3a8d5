// What each event tells the customer (in-app, email, SMS) before preferences: pure rules, no I/O.
import type { AnyEvent, EventData, Money } from '@microbazaar/contracts';
import { baseModel, type Links, type MessageModel, orderModel } from './messages.js';
import { formatMoney } from './money.js';

/** The events this service turns into notices (order.created only feeds the order read model). */
export const NOTIFYING_EVENTS = [
  'user.registered',
  'user.password_reset_requested',
  'order.confirmed',
  'order.cancelled',
  'order.shipped',
  'order.delivered',
  'payment.failed',
  'payment.refunded',
] as const;
export type NotifyingEvent = (typeof NOTIFYING_EVENTS)[number];
/** One of those events, discriminated by `type`. */
export type NotifyingEventOf = Extract<AnyEvent, { type: NotifyingEvent }>;

/** The events that may also go out as a text message (order and payment news, never account mail). */
export const TEXTED_EVENTS: readonly NotifyingEvent[] = NOTIFYING_EVENTS.filter((t) => !t.startsWith('user.'));

export interface Recipient {
  userId: string;
  email: string | null;
  name: string | null;
}

export interface OrderLine {
  productId: string;
  name?: string | undefined;
  quantity: number;
  unitPrice: Money;
}

/** The order as this service's read model knows it. */
export interface OrderView {
  orderId: string;
  userId: string;
  items: OrderLine[];
  total: Money | null;
  status: string;
}

export interface NoticePlan {
  type: NotifyingEvent;
  userId: string;
  /** goes out whatever the preferences say (password reset) */
  transactional: boolean;
  inApp?: { title: string; body: string; data: Record<string, unknown> };
  /** the email template is named after the event type */
  email?: { subject: string; sensitive: boolean; expiresAt?: Date };
  /** the SMS template is named after the event type */
  sms?: true;
  model: MessageModel;
}

const CANCEL_REASONS: Record<EventData<'order.cancelled'>['reason'], string> = {
  out_of_stock: 'some items were out of stock',
  payment_failed: 'the payment did not go through',
  expired: 'checkout was not completed in time',
  customer: 'you cancelled it',
};

const human = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface PlanContext {
  recipient: Recipient | null;
  /** the order read model after this event was applied to it */
  order: OrderView | null;
  links: Links;
}

/**
 * The notices an event calls for, before preferences. Payment events carry no user: the caller
 * resolves it from the order read model (and retries the event while the order is unknown).
 */
export function planNotices(event: NotifyingEventOf, ctx: PlanContext): NoticePlan {
  const { links, order } = ctx;
  const name = ctx.recipient?.name ?? null;
  switch (event.type) {
    case 'user.registered': {
      const d = event.data;
      const model = baseModel(d.name, links);
      return {
        type: event.type,
        userId: d.userId,
        transactional: false,
        inApp: {
          title: 'Welcome to microBazaar',
          body: `Hi ${model.name}, your account is ready. Happy shopping!`,
          data: { url: model.shopUrl },
        },
        // a subject carries no text the user chose: the name is theirs to pick (and to abuse)
        email: { subject: 'Welcome to microBazaar', sensitive: false },
        model,
      };
    }
    case 'user.password_reset_requested': {
      const d = event.data;
      const expiresAt = new Date(d.expiresAt);
      return {
        type: event.type,
        userId: d.userId,
        transactional: true,
        // the link is a secret: no in-app copy, and the stored mail is wiped once sent
        email: { subject: 'Reset your microBazaar password', sensitive: true, expiresAt },
        model: { ...baseModel(d.name, links), resetUrl: d.resetUrl, expiresAt: human(expiresAt) },
      };
    }
    case 'order.confirmed': {
      const d = event.data;
      const model = { ...baseModel(name, links), order: orderModel(d.orderId, links, order) };
      return {
        type: event.type,
        userId: d.userId,
        transactional: false,
        inApp: {
          title: `Order ${model.order.number} confirmed`,
          body: `We received your payment${model.order.total ? ` of ${model.order.total}` : ''}. We will let you know when it ships.`,
          data: { orderId: d.orderId, url: model.order.url },
        },
        email: { subject: `Your order ${model.order.number} is confirmed`, sensitive: false },
        sms: true,
        model,
      };
    }
    case 'order.cancelled': {
      const d = event.data;
      const refundFollows = d.previousStatus === 'confirmed';
      const model = {
        ...baseModel(name, links),
        order: orderModel(d.orderId, links, order),
        reason: CANCEL_REASONS[d.reason],
        refundFollows,
      };
      // a payment failure was already mailed and texted by payment.failed: in-app only, no second mail
      const quiet = d.reason === 'payment_failed';
      return {
        type: event.type,
        userId: d.userId,
        transactional: false,
        inApp: {
          title: `Order ${model.order.number} cancelled`,
          body: `Your order was cancelled because ${model.reason}.${refundFollows ? ' Your payment will be refunded.' : ''}`,
          data: { orderId: d.orderId, reason: d.reason, url: model.order.url },
        },
        ...(quiet ? {} : { email: { subject: `Your order ${model.order.number} was cancelled`, sensitive: false } }),
        ...(quiet ? {} : { sms: true as const }),
        model,
      };
    }
    case 'order.shipped': {
      const d = event.data;
      const model = {
        ...baseModel(name, links),
        order: orderModel(d.orderId, links, order, { carrier: d.carrier, trackingNumber: d.trackingNumber }),
      };
      const via = d.carrier ? ` with ${d.carrier}` : '';
      const tracking = d.trackingNumber ? ` (tracking ${d.trackingNumber})` : '';
      return {
        type: event.type,
        userId: d.userId,
        transactional: false,
        inApp: {
          title: `Order ${model.order.number} shipped`,
          body: `Your order is on its way${via}${tracking}.`,
          data: {
            orderId: d.orderId,
            url: model.order.url,
            ...(d.carrier ? { carrier: d.carrier } : {}),
            ...(d.trackingNumber ? { trackingNumber: d.trackingNumber } : {}),
          },
        },
        email: { subject: `Your order ${model.order.number} has shipped`, sensitive: false },
        sms: true,
        model,
      };
    }
    case 'order.delivered': {
      const d = event.data;
      const model = { ...baseModel(name, links), order: orderModel(d.orderId, links, order) };
      return {
        type: event.type,
        userId: d.userId,
        transactional: false,
        inApp: {
          title: `Order ${model.order.number} delivered`,
          body: 'Your order has been delivered. Enjoy!',
          data: { orderId: d.orderId, url: model.order.url },
        },
        email: { subject: `Your order ${model.order.number} was delivered`, sensitive: false },
        sms: true,
        model,
      };
    }
    case 'payment.failed': {
      const d = event.data;
      const userId = requireUser(order, d.orderId);
      const model = {
        ...baseModel(name, links),
        order: orderModel(d.orderId, links, order),
        amount: formatMoney(d.amount),
        reason: d.reason,
      };
      return {
        type: event.type,
        userId,
        transactional: false,
        inApp: {
          title: `Payment failed for order ${model.order.number}`,
          body: `Your payment of ${model.amount} did not go through (${d.reason}). You have not been charged.`,
          data: { orderId: d.orderId, paymentId: d.paymentId, reason: d.reason, url: model.order.url },
        },
        email: { subject: `Payment failed for order ${model.order.number}`, sensitive: false },
        sms: true,
        model,
      };
    }
    case 'payment.refunded': {
      const d = event.data;
      const userId = requireUser(order, d.orderId);
      const model = {
        ...baseModel(name, links),
        order: orderModel(d.orderId, links, order),
        amount: formatMoney(d.amount),
        ...(d.reason ? { reason: d.reason } : {}),
      };
      return {
        type: event.type,
        userId,
        transactional: false,
        inApp: {
          title: `Refund issued for order ${model.order.number}`,
          body: `${model.amount} is on its way back to you. It can take a few days to show on your statement.`,
          data: { orderId: d.orderId, paymentId: d.paymentId, url: model.order.url },
        },
        email: { subject: `Your refund for order ${model.order.number}`, sensitive: false },
        sms: true,
        model,
      };
    }
  }
}

/** Thrown while a payment event names an order this service has not heard of yet: the bus retries it. */
export class OrderNotYetKnown extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} is not known yet (its order.created has not arrived)`);
    this.name = 'OrderNotYetKnown';
  }
}

function requireUser(order: OrderView | null, orderId: string): string {
  if (!order) throw new OrderNotYetKnown(orderId);
  return order.userId;
}

/** Whose notice an event makes: named in user and order events, found through the order for payment events. */
export function userIdOf(event: NotifyingEventOf, order: OrderView | null): string {
  switch (event.type) {
    case 'payment.failed':
    case 'payment.refunded':
      return requireUser(order, event.data.orderId);
    default:
      return event.data.userId;
  }
}
