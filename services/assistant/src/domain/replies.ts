// Reply templates of the offline assistant: short, specific, and only ever saying what was done or found.
import { formatMoney } from '@microbazaar/contracts';
import type { Money } from './catalog.js';
import type { ParsedQuery } from './query.js';

export interface OrderSummary {
  id: string;
  status: string;
  total: Money;
  createdAt: string;
  itemCount: number;
  firstItem?: string | undefined;
  cancelReason?: string | null;
  /** some lines are on their way (each seller ships their own): the order can no longer be cancelled */
  partlyShipped?: boolean;
}

const CANCELLABLE = new Set(['pending', 'confirmed']);

/** What the order service allows: pending or confirmed, and nothing of it shipped yet. */
export function canCancel(o: OrderSummary): boolean {
  return CANCELLABLE.has(o.status) && o.partlyShipped !== true;
}

/** A different opening from a small set, chosen by turn so replies do not all read the same. */
function pick(options: readonly string[], turn: number): string {
  return options[Math.abs(turn) % options.length] as string;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

const SORT_TEXT = { price_asc: 'cheapest first', price_desc: 'most expensive first', newest: 'newest first' } as const;

/** "red leather shoes under $50.00, cheapest first" */
export function describeQuery(q: ParsedQuery, categoryName?: string): string {
  const values = Object.entries(q.attributes)
    .filter(([key]) => key !== 'size')
    .map(([, v]) => v);
  const subject = categoryName ? categoryName.toLowerCase() : q.kinds.length ? q.kinds.join(' ') : 'products';
  const parts = [[...values, subject].join(' ')];
  if (q.attributes.size) parts.push(`in size ${q.attributes.size}`);
  const currency = 'USD';
  if (q.minPrice !== undefined && q.maxPrice !== undefined) {
    parts.push(
      `between ${formatMoney({ amount: q.minPrice, currency })} and ${formatMoney({ amount: q.maxPrice, currency })}`,
    );
  } else if (q.maxPrice !== undefined) {
    parts.push(`up to ${formatMoney({ amount: q.maxPrice, currency })}`);
  } else if (q.minPrice !== undefined) {
    parts.push(`from ${formatMoney({ amount: q.minPrice, currency })}`);
  }
  for (const [key, vs] of Object.entries(q.exclude)) parts.push(`not ${vs.join(' or ')} (${key})`);
  let text = parts.join(' ');
  if (q.sort && q.sort !== 'relevance') text += `, ${SORT_TEXT[q.sort]}`;
  return text;
}

export interface ShownLine {
  name: string;
  price: Money;
  soldOut?: boolean;
}

export function productLines(items: readonly ShownLine[]): string {
  return items
    .map((p, i) => `${i + 1}. ${p.name} — ${formatMoney(p.price)}${p.soldOut ? ' (sold out)' : ''}`)
    .join('\n');
}

export function searchReply(opts: {
  query: ParsedQuery;
  categoryName?: string | undefined;
  items: readonly ShownLine[];
  relaxed: readonly string[];
  turn: number;
  followUp?: 'cheaper' | 'pricier' | 'more' | undefined;
}): string {
  const { query, items, relaxed, turn } = opts;
  if (items.length === 0) {
    if (opts.followUp === 'cheaper') return 'That was the cheapest I have for this search. Want to try something else?';
    if (opts.followUp === 'pricier') return 'That was the most expensive I have for this search.';
    if (opts.followUp === 'more') return "That's everything I found for this search.";
    return `I couldn't find ${describeQuery(query, opts.categoryName)}. Try fewer details or a different word?`;
  }
  const corrections = query.corrections.length
    ? ` (reading ${list(query.corrections.map((c) => `"${c.from}" as "${c.to}"`))})`
    : '';
  const notes: string[] = [];
  const droppedAttributes = relaxed;
  if (droppedAttributes.length) {
    const missing = droppedAttributes.map((k) => query.attributes[k]).filter((v): v is string => Boolean(v));
    notes.push(`I have none in ${list(missing)}, so these come in other ${list(droppedAttributes)}s.`);
  }
  const opening =
    opts.followUp === 'cheaper'
      ? 'Here are cheaper ones'
      : opts.followUp === 'pricier'
        ? 'Here are some pricier ones'
        : opts.followUp === 'more'
          ? 'Here are more'
          : pick(['Here is what I found for', 'These match', 'Have a look at these for'], turn);
  const what = opts.followUp ? '' : ` ${describeQuery(query, opts.categoryName)}`;
  return [`${opening}${what}${corrections}:`, productLines(items), ...notes].join('\n');
}

export function recommendationReply(kind: 'similar' | 'bought_together' | 'personal' | 'popular', about?: string) {
  switch (kind) {
    case 'similar':
      return about ? `If you like ${about}, you may also like these:` : 'You may also like these:';
    case 'bought_together':
      return about ? `Customers who bought ${about} also bought:` : 'Often bought together:';
    case 'personal':
      return 'Picked for you from your orders and your cart:';
    default:
      return 'Popular right now:';
  }
}

const STATUS_TEXT: Record<string, string> = {
  pending: 'is being processed (stock and payment are being confirmed)',
  confirmed: 'is confirmed and paid, waiting to ship',
  shipped: 'has shipped',
  delivered: 'was delivered',
  cancelled: 'was cancelled',
  refunded: 'was refunded',
};

export function shortId(id: string): string {
  return id.slice(0, 8).toUpperCase();
}

export function orderLine(o: OrderSummary): string {
  const what = o.firstItem ? `${o.firstItem}${o.itemCount > 1 ? ` and ${o.itemCount - 1} more` : ''}` : 'your items';
  const status = STATUS_TEXT[o.status] ?? `is ${o.status}`;
  const reason = o.status === 'cancelled' && o.cancelReason ? ` (${o.cancelReason.replace(/_/g, ' ')})` : '';
  return `Order ${shortId(o.id)} (${what}, ${formatMoney(o.total)}) ${status}${reason}.`;
}

export function orderStatusReply(orders: readonly OrderSummary[], asked?: string): string {
  if (orders.length === 0) {
    return asked
      ? `I couldn't find an order ${asked.toUpperCase()} on your account. Check the number, or ask me "where are my orders?"`
      : "You haven't placed any orders yet.";
  }
  if (orders.length === 1) return orderLine(orders[0] as OrderSummary);
  return ['Your latest orders:', ...orders.map((o) => `• ${orderLine(o)}`)].join('\n');
}

export const SIGN_IN_FOR_ORDERS =
  'Please sign in first: I can only look at orders from your own account. Once you are signed in, ask me again.';
export const SIGN_IN_FOR_CART = 'Please sign in to add things to your cart through me, or use the Add to cart button.';

export function cancelProposal(o: OrderSummary): string {
  const refund = o.status === 'confirmed' ? ' It has been paid, so the payment will be refunded in full.' : '';
  return `${orderLine(o)}${refund} Do you want me to cancel it? Reply "yes" to cancel, or "no" to keep it.`;
}

export function cancelNotPossible(o: OrderSummary): string {
  if (o.partlyShipped && CANCELLABLE.has(o.status)) {
    return `Part of order ${shortId(o.id)} has already shipped, so it can't be cancelled any more, but you can return what arrives within 30 days of delivery.`;
  }
  if (o.status === 'shipped' || o.status === 'delivered') {
    return `Order ${shortId(o.id)} ${STATUS_TEXT[o.status]}, so it can't be cancelled any more, but you can return it within 30 days of delivery.`;
  }
  return `Order ${shortId(o.id)} ${STATUS_TEXT[o.status] ?? `is ${o.status}`}, so there is nothing to cancel.`;
}

export const WHICH_ORDER = 'Which order do you mean? Tell me its number (the first 8 characters are enough).';
export const CANCEL_KEPT = "OK, I won't cancel it. Your order stays as it is.";

export function cancelDone(orderId: string, wasPaid: boolean): string {
  return `Done: order ${shortId(orderId)} is cancelled.${wasPaid ? ' The refund goes back to your payment method within 5 business days.' : ''}`;
}

export function cancelFailed(orderId: string, why: string): string {
  return `I couldn't cancel order ${shortId(orderId)}: ${why}. Nothing has changed.`;
}

export function addedToCart(name: string): string {
  return `Added ${name} to your cart.`;
}

export function addToCartFailed(name: string, why: string): string {
  return `I couldn't add ${name} to your cart: ${why}.`;
}

export const WHICH_PRODUCT = 'Which one do you mean? Say "the first one", "the second one" and so on.';

export function faqReply(title: string, text: string): string {
  return `${text}\n\n(From our help page: ${title}.)`;
}

export const FAQ_UNKNOWN =
  "I don't have an answer to that in our help pages. Ask me to talk to a person and our team will reply by email.";

export function handoffReply(signedIn: boolean): string {
  return signedIn
    ? "I've passed your conversation to our support team. A person will reply by email within one business day."
    : "I've passed your message to our support team. Sign in (or include an email address) so they can reach you; they answer within one business day.";
}

export function greetingReply(turn: number, thanks: boolean): string {
  if (thanks) return pick(["You're welcome! Anything else?", 'Happy to help. Anything else I can find for you?'], turn);
  return pick(
    [
      'Hi! I can find products ("red running shoes under $50"), check or cancel your orders, and answer questions about shipping, returns and payment.',
      'Hello! Tell me what you are looking for, ask where your order is, or ask about shipping and returns.',
    ],
    turn,
  );
}

export const UNKNOWN_REPLY =
  'Sorry, I didn\'t get that. I can search the shop ("a gift for someone who loves coffee"), tell you where your order is, or answer questions about shipping, returns and payment.';

export const SUGGESTIONS = {
  start: ['Show me red running shoes under $50', 'Where is my order?', 'What is your return policy?'],
  afterSearch: ['Show me cheaper ones', 'Add the first one to my cart', 'Show me more'],
  afterOrders: ['Cancel my latest order', 'How long does shipping take?'],
} as const;
