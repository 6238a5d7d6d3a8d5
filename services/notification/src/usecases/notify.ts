// One shop event becomes the customer's notices: the read models, the preferences, then the in-app notice and the
// queued emails/SMS, all in the event's inbox transaction (events/handlers.ts calls it).
import type { AnyEvent } from '@microbazaar/contracts';
import type { HandlerOutcome, Sql } from '@microbazaar/kit';
import type { LiveNotice } from '../adapters/live.js';
import type { Templates } from '../adapters/templates.js';
import { chooseChannels } from '../domain/channels.js';
import type { Links } from '../domain/messages.js';
import { type NotifyingEventOf, type OrderView, planNotices, type Recipient, userIdOf } from '../domain/notices.js';
import { contactStore } from '../store/contacts.js';
import { deliveryStore } from '../store/deliveries.js';
import { noticeStore, presentNotice } from '../store/notices.js';
import { orderStore } from '../store/orders.js';
import { recipientStore } from '../store/recipients.js';
import { smsStore } from '../store/sms.js';

export interface NotifierDeps {
  templates: Templates;
  links: Links;
  /** SMS a user may be sent per 24 hours (verification codes included); past it the SMS is left out */
  smsPerUserPerDay: number;
}

/** What one handled event produced, for the work that follows its commit. */
export interface Produced {
  notices: LiveNotice[];
  queued: number;
}

export type OrderCreated = Extract<AnyEvent, { type: 'order.created' }>;

/** Applies an order event to the read model. */
async function applyOrder(tx: Sql, event: NotifyingEventOf | OrderCreated): Promise<OrderView | null> {
  const orders = orderStore(tx);
  switch (event.type) {
    case 'order.created':
      return orders.apply({ ...event.data, status: 'pending' });
    case 'order.confirmed':
      return orders.apply({ ...event.data, status: 'confirmed' });
    case 'order.cancelled':
      return orders.apply({ ...event.data, status: 'cancelled' });
    case 'order.shipped':
      return orders.apply({ orderId: event.data.orderId, userId: event.data.userId, status: 'shipped' });
    case 'order.delivered':
      return orders.apply({ orderId: event.data.orderId, userId: event.data.userId, status: 'delivered' });
    case 'payment.failed':
    case 'payment.refunded':
      return orders.get(event.data.orderId);
    default:
      return null;
  }
}

/** One event's notices: read models, preferences, then a notice row and delivery rows, all in `tx`. */
async function notify(
  deps: NotifierDeps,
  tx: Sql,
  event: NotifyingEventOf,
  produced: Produced,
): Promise<HandlerOutcome> {
  let recipient: Recipient | null = null;
  if (event.type === 'user.registered' || event.type === 'user.password_reset_requested') {
    const { userId, email, name } = event.data;
    recipient = await recipientStore(tx).upsert({ userId, email, name });
  }
  const order = await applyOrder(tx, event);
  const userId = userIdOf(event, order);
  const contact = await contactStore(tx).get(userId);
  recipient ??= contact.recipient;
  const prefs = contact.prefs;
  const plan = planNotices(event, { recipient, order, links: deps.links });
  const choice = chooseChannels(plan, prefs, recipient);
  const did: string[] = [];

  if (choice.inApp && plan.inApp) {
    const notice = await noticeStore(tx).insert({ userId, eventId: event.id, type: event.type, ...plan.inApp });
    if (notice) {
      produced.notices.push({ userId, seq: notice.seq, notice: presentNotice(notice) });
      did.push('in-app');
    }
  }
  const deliveries = deliveryStore(tx);
  const common = { eventId: event.id, eventType: event.type, userId, correlationId: event.correlationId };
  if (choice.email && plan.email) {
    const mail = deps.templates.email(event.type, plan.model, {
      subject: plan.email.subject,
      transactional: plan.transactional,
    });
    const queued = await deliveries.insert({
      ...common,
      channel: 'email',
      recipient: choice.email,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      sensitive: plan.email.sensitive,
      expiresAt: plan.email.expiresAt ?? null,
    });
    if (queued) {
      produced.queued++;
      did.push('email');
    }
  }
  if (choice.sms && plan.sms && (await withinSmsCap(deps, tx, userId, choice))) {
    const queued = await deliveries.insert({
      ...common,
      channel: 'sms',
      recipient: choice.sms,
      subject: null,
      text: deps.templates.sms(event.type, plan.model),
      html: null,
      sensitive: false,
      expiresAt: null,
    });
    if (queued) {
      produced.queued++;
      did.push('sms');
    }
  }
  // the inbox records a reason only when there is one: a missing address is worth a line, the usual case is not
  return choice.unreachable.length
    ? {
        status: 'handled',
        reason: `${did.join(', ') || 'nothing sent'}; unreachable: ${choice.unreachable.join(', ')}`,
      }
    : { status: 'handled' };
}

/** Whether one more SMS fits the user's daily cap; when not, says so in the choice's unreachable list. */
async function withinSmsCap(deps: NotifierDeps, tx: Sql, userId: string, choice: { unreachable: string[] }) {
  const sms = smsStore(tx);
  await sms.lockUser(userId);
  if ((await sms.sentToUser(userId)).count < deps.smsPerUserPerDay) return true;
  choice.unreachable.push('sms: the daily limit of text messages is reached');
  return false;
}

export interface Notifier {
  /** order.created: the order read model only (who owns the order, its lines and total) */
  recordOrder(tx: Sql, event: OrderCreated): Promise<void>;
  /** A notifying event: its notices stored and its messages queued in `tx`; what it produced, for after the commit. */
  notify(tx: Sql, event: NotifyingEventOf): Promise<{ outcome: HandlerOutcome; produced: Produced }>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  return {
    async recordOrder(tx, event) {
      await applyOrder(tx, event);
    },
    async notify(tx, event) {
      const produced: Produced = { notices: [], queued: 0 };
      const outcome = await notify(deps, tx, event, produced);
      return { outcome, produced };
    },
  };
}
