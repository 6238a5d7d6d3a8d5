// The order and its state machine: transitions are data, `transition()` is the only way a status changes.
import type { Money, ProductSummary } from '@microbazaar/contracts';
import { Conflict, Forbidden, NotFound, type Principal } from '@microbazaar/kit';

export const ORDER_STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const CANCEL_REASONS = ['out_of_stock', 'payment_failed', 'expired', 'customer'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string | undefined;
  city: string;
  region?: string | undefined;
  postalCode: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
  phone?: string | undefined;
}

/** Where a line is on its way to the buyer; each seller ships and delivers their own lines. */
export const LINE_FULFILMENTS = ['unshipped', 'shipped', 'delivered'] as const;
export type LineFulfilment = (typeof LINE_FULFILMENTS)[number];

export interface Shipment {
  carrier?: string | undefined;
  trackingNumber?: string | undefined;
}

export interface OrderLine {
  productId: string;
  sellerId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  lineTotal: Money;
  fulfilment: LineFulfilment;
  /** set when the line's seller shipped it */
  shippedAt?: string | undefined;
  carrier?: string | undefined;
  trackingNumber?: string | undefined;
  /** set when it was marked delivered */
  deliveredAt?: string | undefined;
}

export interface HistoryEntry {
  status: OrderStatus;
  /** ISO 8601 */
  at: string;
  cause: string;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  cancelReason: CancelReason | null;
  items: OrderLine[];
  total: Money;
  shippingAddress: ShippingAddress;
  history: HistoryEntry[];
  paymentId: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The status changes the order makes as a whole: from which statuses an action is allowed, and where it
 * leads. Cancelling also needs every line still unshipped (LINE_TRANSITIONS ship them one seller at a time).
 */
export const TRANSITIONS = {
  confirm: { from: ['pending'], to: 'confirmed' },
  cancel: { from: ['pending', 'confirmed'], to: 'cancelled' },
  refund: { from: ['delivered'], to: 'refunded' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;

/**
 * Shipping and delivery move lines, not the order: a seller's own lines (an admin's: all of them), from
 * `from` to `to`, while the order is in one of `orderFrom`. The order's status then follows its lines
 * (statusOfLines): shipped once every line is, delivered once every line is.
 */
export const LINE_TRANSITIONS = {
  ship: { orderFrom: ['confirmed'], from: 'unshipped', to: 'shipped' },
  deliver: { orderFrom: ['confirmed', 'shipped'], from: 'shipped', to: 'delivered' },
} as const satisfies Record<string, { orderFrom: readonly OrderStatus[]; from: LineFulfilment; to: LineFulfilment }>;

export type OrderAction = keyof typeof TRANSITIONS | keyof typeof LINE_TRANSITIONS;

export type Change =
  | { action: 'confirm'; paymentId: string }
  | { action: 'cancel'; reason: CancelReason }
  /** `seller`: only that seller's lines; absent: every line (an admin) */
  | { action: 'ship'; seller?: string | undefined; shipment?: Shipment | undefined }
  | { action: 'deliver'; seller?: string | undefined }
  | { action: 'refund' };

/** The order is not in a status the action starts from (409). */
export class OrderStateConflict extends Conflict {
  constructor(
    readonly status: OrderStatus,
    readonly action: OrderAction,
    message = `Cannot ${action} an order that is ${status}`,
  ) {
    super(message, 'ORDER_STATE_CONFLICT');
  }
}

/** No line is shipped yet: until then the buyer may still cancel. */
export function nothingShipped(order: Pick<Order, 'items'>): boolean {
  return order.items.every((l) => l.fulfilment === 'unshipped');
}

/** The status an order's lines add up to once it is confirmed: shipped when all are, delivered when all are. */
export function statusOfLines(items: readonly Pick<OrderLine, 'fulfilment'>[]): 'confirmed' | 'shipped' | 'delivered' {
  if (items.every((l) => l.fulfilment === 'delivered')) return 'delivered';
  if (items.every((l) => l.fulfilment !== 'unshipped')) return 'shipped';
  return 'confirmed';
}

const actsOn = (change: { seller?: string | undefined }) => (line: OrderLine) =>
  change.seller === undefined || line.sellerId === change.seller;

/** Whether `action` applies to the order now (for ship and deliver: to at least one of all its lines). */
export function canTransition(order: Pick<Order, 'status' | 'items'>, action: OrderAction): boolean {
  if (action === 'ship' || action === 'deliver') {
    const rule = LINE_TRANSITIONS[action];
    return (
      (rule.orderFrom as readonly OrderStatus[]).includes(order.status) &&
      order.items.some((l) => l.fulfilment === rule.from)
    );
  }
  if (action === 'cancel' && !nothingShipped(order)) return false;
  return (TRANSITIONS[action].from as readonly OrderStatus[]).includes(order.status);
}

/** Ship or deliver the lines `change` names; the order's status follows from all its lines. */
function moveLines(
  order: Order,
  change: Extract<Change, { action: 'ship' | 'deliver' }>,
  when: string,
): { items: OrderLine[]; status: OrderStatus; moved: number } {
  const rule = LINE_TRANSITIONS[change.action];
  if (!(rule.orderFrom as readonly OrderStatus[]).includes(order.status)) {
    throw new OrderStateConflict(order.status, change.action);
  }
  const mine = actsOn(change);
  const moves = (l: OrderLine) => mine(l) && l.fulfilment === rule.from;
  const moved = order.items.filter(moves).length;
  if (moved === 0) {
    const whose = change.seller === undefined ? 'no line of this order' : 'none of your lines of this order';
    throw new OrderStateConflict(
      order.status,
      change.action,
      change.action === 'ship' ? `Nothing to ship: ${whose} is unshipped` : `Nothing to deliver: ${whose} is shipped`,
    );
  }
  const items = order.items.map((l): OrderLine => {
    if (!moves(l)) return l;
    if (change.action === 'deliver') return { ...l, fulfilment: rule.to, deliveredAt: when };
    return {
      ...l,
      fulfilment: rule.to,
      shippedAt: when,
      ...(change.shipment?.carrier ? { carrier: change.shipment.carrier } : {}),
      ...(change.shipment?.trackingNumber ? { trackingNumber: change.shipment.trackingNumber } : {}),
    };
  });
  return { items, status: statusOfLines(items), moved };
}

/** The order after `change`, with the change in its history; throws OrderStateConflict when not allowed. */
export function transition(order: Order, change: Change, cause: string, at: Date = new Date()): Order {
  const when = at.toISOString();
  if (change.action === 'ship' || change.action === 'deliver') {
    const { items, status, moved } = moveLines(order, change, when);
    // a part of the order moved and its status stays: the history says how much
    const part = status === order.status ? `: ${moved} of ${order.items.length} lines` : '';
    return {
      ...order,
      status,
      items,
      history: [...order.history, { status, at: when, cause: `${cause}${part}` }],
      updatedAt: when,
    };
  }
  if (!(TRANSITIONS[change.action].from as readonly OrderStatus[]).includes(order.status)) {
    throw new OrderStateConflict(order.status, change.action);
  }
  if (change.action === 'cancel' && !nothingShipped(order)) {
    throw new OrderStateConflict(order.status, 'cancel', 'Cannot cancel an order of which a part has shipped');
  }
  const status = TRANSITIONS[change.action].to;
  return {
    ...order,
    status,
    cancelReason: change.action === 'cancel' ? change.reason : order.cancelReason,
    paymentId: change.action === 'confirm' ? change.paymentId : order.paymentId,
    history: [...order.history, { status, at: when, cause }],
    updatedAt: when,
  };
}

// ---- pricing at checkout ----

export interface WantedLine {
  productId: string;
  quantity: number;
}

/** What the catalog says about a product right now. */
/** What checkout reads of a product: current name, price, seller and status (active unless it says otherwise). */
export type CatalogProduct = Pick<ProductSummary, 'id' | 'name' | 'price' | 'sellerId' | 'status'>;

const BUYABLE = new Set(['active', 'published', 'available']);

export function isBuyable(product: CatalogProduct): boolean {
  return product.status === undefined || BUYABLE.has(product.status);
}

/** Same product twice in a request counts once with the quantities added, in first-seen order. */
export function mergeLines(lines: readonly WantedLine[]): WantedLine[] {
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** Lines priced from the catalog (never from the client) and the total, in integer minor units. */
export function priceLines(
  wanted: readonly WantedLine[],
  catalog: ReadonlyMap<string, CatalogProduct>,
): { items: OrderLine[]; total: Money } {
  const items: OrderLine[] = [];
  let currency: string | undefined;
  let amount = 0;
  for (const line of wanted) {
    const product = catalog.get(line.productId);
    if (!product) throw new NotFound(`Product ${line.productId} not found`, 'PRODUCT_NOT_FOUND');
    if (!isBuyable(product)) throw new Conflict(`${product.name} is no longer sold`, 'PRODUCT_UNAVAILABLE');
    currency ??= product.price.currency;
    if (product.price.currency !== currency) {
      throw new Conflict('All lines of an order must be in one currency', 'CURRENCY_MISMATCH');
    }
    const lineAmount = product.price.amount * line.quantity;
    if (!Number.isSafeInteger(lineAmount)) throw new Conflict('Order total is too large', 'TOTAL_TOO_LARGE');
    amount += lineAmount;
    items.push({
      productId: product.id,
      sellerId: product.sellerId,
      name: product.name,
      unitPrice: { amount: product.price.amount, currency },
      quantity: line.quantity,
      lineTotal: { amount: lineAmount, currency },
      fulfilment: 'unshipped',
    });
  }
  if (!Number.isSafeInteger(amount)) throw new Conflict('Order total is too large', 'TOTAL_TOO_LARGE');
  return { items, total: { amount, currency: currency ?? 'USD' } };
}

export function newOrder(input: {
  id: string;
  userId: string;
  items: OrderLine[];
  total: Money;
  shippingAddress: ShippingAddress;
  at?: Date;
}): Order {
  const when = (input.at ?? new Date()).toISOString();
  return {
    id: input.id,
    userId: input.userId,
    status: 'pending',
    cancelReason: null,
    items: input.items,
    total: input.total,
    shippingAddress: input.shippingAddress,
    history: [{ status: 'pending', at: when, cause: 'checkout' }],
    paymentId: null,
    createdAt: when,
    updatedAt: when,
  };
}

// ---- who may see and change an order ----

export function sellsIn(order: Pick<Order, 'items'>, userId: string): boolean {
  return order.items.some((i) => i.sellerId === userId);
}

/** The buyer, a seller of one of its products, or an admin; anyone else is told it does not exist. */
export function assertMaySee(principal: Principal, order: Order): void {
  if (principal.role === 'admin' || order.userId === principal.userId) return;
  if (principal.role === 'seller' && sellsIn(order, principal.userId)) return;
  throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
}

/** Shipping and delivery: a seller of one of its products (their own lines) or an admin (every line). */
export function assertMayFulfil(principal: Principal, order: Order): void {
  assertMaySee(principal, order);
  if (principal.role === 'admin') return;
  if (principal.role === 'seller' && sellsIn(order, principal.userId)) return;
  throw new Forbidden('Only a seller of this order or an admin can do this');
}

/** Whose lines a fulfilment by `principal` moves: an admin's, all (undefined); a seller's, their own. */
export function fulfilledBy(principal: Principal): string | undefined {
  return principal.role === 'admin' ? undefined : principal.userId;
}

/** The buyer while nothing has shipped (the state machine says which statuses), or an admin. */
export function assertMayCancel(principal: Principal, order: Order): void {
  assertMaySee(principal, order);
  if (principal.role === 'admin' || order.userId === principal.userId) return;
  throw new Forbidden('Only the buyer or an admin can cancel an order');
}

/** A history entry as a seller reads it: the status changes only, each cause without its details. */
function sellersHistory(history: readonly HistoryEntry[]): HistoryEntry[] {
  return history
    .filter((e, i) => i === 0 || e.status !== history[i - 1]?.status)
    .map((e) => ({ ...e, cause: e.cause.split(/ \(|: /)[0] ?? e.cause }));
}

/**
 * The order as `principal` may read it (assertMaySee passed): whole for its buyer, admins and a seller
 * of all its lines. A seller of some of its lines sees those lines, their total, the shipping address and the status changes;
 * never the other sellers' lines and prices, the order's total or what the payment notes say.
 */
export function orderSeenBy(principal: Principal, order: Order): Order {
  if (principal.role === 'admin' || order.userId === principal.userId) return order;
  // every line is theirs: nothing in the order belongs to another seller
  if (order.items.every((l) => l.sellerId === principal.userId)) return order;
  const items = order.items.filter((l) => l.sellerId === principal.userId);
  const amount = items.reduce((sum, l) => sum + l.lineTotal.amount, 0);
  return {
    ...order,
    items,
    total: { amount, currency: order.total.currency },
    history: sellersHistory(order.history),
    paymentId: null,
  };
}
