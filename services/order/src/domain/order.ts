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

export interface OrderLine {
  productId: string;
  sellerId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  lineTotal: Money;
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

/** Every status change the shop knows: from which statuses an action is allowed, and where it leads. */
export const TRANSITIONS = {
  confirm: { from: ['pending'], to: 'confirmed' },
  ship: { from: ['confirmed'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  cancel: { from: ['pending', 'confirmed'], to: 'cancelled' },
  refund: { from: ['delivered'], to: 'refunded' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;

export type OrderAction = keyof typeof TRANSITIONS;

export type Change =
  | { action: 'confirm'; paymentId: string }
  | { action: 'cancel'; reason: CancelReason }
  | { action: 'ship' }
  | { action: 'deliver' }
  | { action: 'refund' };

/** The order is not in a status the action starts from (409). */
export class OrderStateConflict extends Conflict {
  constructor(
    readonly status: OrderStatus,
    readonly action: OrderAction,
  ) {
    super(`Cannot ${action} an order that is ${status}`, 'ORDER_STATE_CONFLICT');
  }
}

export function canTransition(status: OrderStatus, action: OrderAction): boolean {
  return (TRANSITIONS[action].from as readonly OrderStatus[]).includes(status);
}

/** The order after `change`, with the change in its history; throws OrderStateConflict when not allowed. */
export function transition(order: Order, change: Change, cause: string, at: Date = new Date()): Order {
  if (!canTransition(order.status, change.action)) throw new OrderStateConflict(order.status, change.action);
  const status = TRANSITIONS[change.action].to;
  const when = at.toISOString();
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

/** Shipping and delivery: a seller of one of its products or an admin. */
export function assertMayFulfil(principal: Principal, order: Order): void {
  assertMaySee(principal, order);
  if (principal.role === 'admin') return;
  if (principal.role === 'seller' && sellsIn(order, principal.userId)) return;
  throw new Forbidden('Only a seller of this order or an admin can do this');
}

/** The buyer while it is pending or confirmed (the state machine says which), or an admin. */
export function assertMayCancel(principal: Principal, order: Order): void {
  assertMaySee(principal, order);
  if (principal.role === 'admin' || order.userId === principal.userId) return;
  throw new Forbidden('Only the buyer or an admin can cancel an order');
}
