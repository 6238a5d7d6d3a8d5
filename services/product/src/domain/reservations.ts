// Stock reservations for orders: the plan (all lines or none) and the state machine of a reservation.

export type ReservationStatus =
  | 'reserved' // holding stock until confirmed, cancelled or expired
  | 'committed' // the order was confirmed: the units left on-hand stock
  | 'released' // the order was cancelled while reserved
  | 'expired' // nobody confirmed it in time: the sweeper released it
  | 'rejected' // some line was short: nothing was reserved
  | 'cancelled' // the cancellation arrived before the order: nothing is ever reserved for it
  | 'restocked'; // a confirmed order was cancelled: its units went back on hand

export type ReservationAction = 'commit' | 'release' | 'expire' | 'restock' | 'recommit';

const TRANSITIONS: Record<ReservationStatus, Partial<Record<ReservationAction, ReservationStatus>>> = {
  reserved: { commit: 'committed', release: 'released', expire: 'expired' },
  committed: { restock: 'restocked' },
  // a confirmation that arrives after the sweeper released the stock takes it again if it is still there
  expired: { recommit: 'committed' },
  released: {},
  rejected: {},
  cancelled: {},
  restocked: {},
};

export class ReservationTransitionError extends Error {
  constructor(
    readonly from: ReservationStatus,
    readonly action: ReservationAction,
  ) {
    super(`a ${from} reservation cannot ${action}`);
    this.name = 'ReservationTransitionError';
  }
}

export function canTransition(from: ReservationStatus, action: ReservationAction): boolean {
  return TRANSITIONS[from][action] !== undefined;
}

/** The status after `action`, or a ReservationTransitionError. */
export function transition(from: ReservationStatus, action: ReservationAction): ReservationStatus {
  const to = TRANSITIONS[from][action];
  if (!to) throw new ReservationTransitionError(from, action);
  return to;
}

export interface StockLine {
  productId: string;
  quantity: number;
}

/** One line per product (an order may name a product twice), sorted by id: the row-lock order. */
export function aggregateLines(items: readonly StockLine[]): StockLine[] {
  const byProduct = new Map<string, number>();
  for (const { productId, quantity } of items) {
    const id = productId.toLowerCase();
    byProduct.set(id, (byProduct.get(id) ?? 0) + quantity);
  }
  return [...byProduct]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

export interface StockLevel {
  productId: string;
  onHand: number;
  reserved: number;
  /** archived products are not for sale */
  forSale: boolean;
}

export interface ShortLine {
  productId: string;
  requested: number;
  available: number;
}

export type ReservationPlan = { ok: true; lines: StockLine[] } | { ok: false; short: ShortLine[] };

/** All lines fit, or the list of every line that does not (unknown and archived products count as 0 available). */
export function planReservation(lines: readonly StockLine[], levels: readonly StockLevel[]): ReservationPlan {
  const byId = new Map(levels.map((l) => [l.productId.toLowerCase(), l]));
  const short: ShortLine[] = [];
  for (const line of lines) {
    const level = byId.get(line.productId.toLowerCase());
    const available = level?.forSale ? Math.max(0, level.onHand - level.reserved) : 0;
    if (available < line.quantity) short.push({ productId: line.productId, requested: line.quantity, available });
  }
  return short.length ? { ok: false, short } : { ok: true, lines: [...lines] };
}
