// The order use cases: checkout, reading, customer/seller/admin actions, saga steps and the pending-order sweeper.
import { createHash, randomUUID } from 'node:crypto';
import type { AnyEvent } from '@microbazaar/contracts';
import {
  Conflict,
  type Db,
  type InboxSql,
  Invalid,
  idFromCursor,
  keysetPage,
  NotFound,
  type Principal,
  type Sql,
} from '@microbazaar/kit';
import type { CartReader } from '../adapters/cart.js';
import type { Catalog } from '../adapters/catalog.js';
import type { OrderConfig } from '../config.js';
import {
  assertMayCancel,
  assertMayFulfil,
  assertMaySee,
  type Change,
  canTransition,
  mergeLines,
  newOrder,
  type Order,
  type OrderStatus,
  priceLines,
  type ShippingAddress,
  transition,
  type WantedLine,
} from '../domain/order.js';
import { orderChanged, orderCreated, type Shipment } from '../events/publish.js';
import { orderStore } from '../store/orders.js';

export interface CheckoutBody {
  shippingAddress: ShippingAddress;
  paymentToken: string;
  items?: WantedLine[] | undefined;
}

export interface CheckoutRequest {
  idempotencyKey: string;
  body: CheckoutBody;
  /** the buyer's Authorization header, passed on to the cart service */
  authorization: string;
  requestId?: string;
}

export type OrdersConfig = Pick<
  OrderConfig,
  'ORDER_MAX_LINES' | 'ORDER_MAX_QUANTITY' | 'ORDER_PENDING_TIMEOUT_SECONDS'
>;

export interface OrdersDeps {
  db: Db;
  catalog: Catalog;
  cart: CartReader;
  config: OrdersConfig;
}

/** Same JSON whatever the key order, so a retried request hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: CheckoutBody): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

/** Outcome of a saga step: the order as it is now, and whether this step changed it. */
export interface StepResult {
  order: Order | null;
  changed: boolean;
  reason?: string;
}

/**
 * What a saga step does to the order as read, decided once for both ways of writing it (step under a
 * lock, stepFast guarded by the read): the order after it with its event, or why it does not apply.
 */
function sagaStep(
  order: Order | null,
  step: Change,
  cause: string,
  check?: (order: Order) => void,
): { after: Order; event: AnyEvent } | { reason: string } {
  if (!order) return { reason: 'unknown order' };
  // an event that contradicts the order is wrong whatever the order's status
  check?.(order);
  if (!canTransition(order.status, step.action)) return { reason: `order is ${order.status}` };
  const after = transition(order, step, cause);
  return { after, event: orderChanged(order, after, step) };
}

export function createOrders({ db, catalog, cart, config }: OrdersDeps) {
  async function replay(userId: string, key: string, hash: string): Promise<Order> {
    const record = await orderStore(db).idempotencyRecord(userId, key);
    if (!record) throw new Conflict('The idempotency key is being used by another request', 'IDEMPOTENCY_KEY_IN_USE');
    if (record.requestHash !== hash) {
      throw new Conflict('This Idempotency-Key was used with another request body', 'IDEMPOTENCY_KEY_REUSED');
    }
    const order = await orderStore(db).byId(record.orderId);
    if (!order) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
    return order;
  }

  function checkLimits(lines: WantedLine[]): void {
    if (lines.length > config.ORDER_MAX_LINES) {
      throw new Invalid(`An order has at most ${config.ORDER_MAX_LINES} lines`, [
        { path: 'body/items', message: `more than ${config.ORDER_MAX_LINES} products` },
      ]);
    }
    const tooMany = lines.find((l) => l.quantity > config.ORDER_MAX_QUANTITY);
    if (tooMany) {
      throw new Invalid(`At most ${config.ORDER_MAX_QUANTITY} of one product per order`, [
        { path: 'body/items', message: `quantity of ${tooMany.productId} above ${config.ORDER_MAX_QUANTITY}` },
      ]);
    }
  }

  type ChangeOptions = { authorize?: (order: Order) => void; shipment?: Shipment; refundReason?: string };

  /** A guarded status change of an order locked in the caller's transaction, written with its event. */
  async function apply(tx: Sql, before: Order, step: Change, cause: string, opts: ChangeOptions = {}): Promise<Order> {
    opts.authorize?.(before);
    const after = transition(before, step, cause);
    const event = orderChanged(before, after, step, {
      ...(opts.shipment ? { shipment: opts.shipment } : {}),
      ...(opts.refundReason ? { refundReason: opts.refundReason } : {}),
    });
    await orderStore(tx).saveTransition(after, event);
    return after;
  }

  /** One guarded status change in the caller's transaction, with its event; `authorize` may refuse. */
  async function change(tx: Sql, orderId: string, step: Change, cause: string, opts: ChangeOptions = {}) {
    const before = await orderStore(tx).lock(orderId);
    if (!before) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
    return apply(tx, before, step, cause, opts);
  }

  /** A new pending order for the request's lines (the cart's when it names none), priced by the catalog now. */
  async function priceOrder(principal: Principal, req: CheckoutRequest): Promise<Order> {
    const ctx = req.requestId ? { requestId: req.requestId } : {};
    const wanted = mergeLines(req.body.items ?? (await cart.lines(req.authorization, ctx)));
    if (wanted.length === 0) {
      throw new Invalid(
        'Nothing to order: the cart is empty',
        [{ path: 'body/items', message: 'no lines' }],
        'CART_EMPTY',
      );
    }
    checkLimits(wanted);
    const products = await catalog.products(
      wanted.map((l) => l.productId),
      ctx,
    );
    const { items, total } = priceLines(wanted, products);
    return newOrder({
      id: randomUUID(),
      userId: principal.userId,
      items,
      total,
      shippingAddress: req.body.shippingAddress,
    });
  }

  return {
    /**
     * Checkout: prices the lines from the catalog, stores the order pending with order.created in the
     * outbox. The same key with the same body returns the same order; with another body, 409.
     */
    async place(principal: Principal, req: CheckoutRequest): Promise<Order> {
      const hash = requestHash(req.body);
      const store = orderStore(db);
      // the key is looked up only when needed: a new checkout (the common case) learns that it is
      // new from its claim, a retry from the claim failing or, if pricing it fails (cart emptied,
      // a product gone, the catalog down), from the key being there: either way it gets its order back
      let order: Order;
      try {
        order = await priceOrder(principal, req);
      } catch (err) {
        if (await store.idempotencyRecord(principal.userId, req.idempotencyKey)) {
          return replay(principal.userId, req.idempotencyKey, hash);
        }
        throw err;
      }
      // one statement, so no transaction: the key's claim, the order and order.created commit together
      const placed = await store.insertClaimed(
        order,
        { key: req.idempotencyKey, requestHash: hash },
        orderCreated(order, req.body.paymentToken),
      );
      return placed ? order : replay(principal.userId, req.idempotencyKey, hash);
    },

    async get(principal: Principal, id: string): Promise<Order> {
      const order = await orderStore(db).byId(id);
      if (!order) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
      assertMaySee(principal, order);
      return order;
    },

    /** Customers see their orders, sellers also those containing their products, admins all. */
    async list(
      principal: Principal,
      q: { limit: number; cursor?: string | undefined; status?: OrderStatus | undefined },
    ): Promise<{ items: Order[]; nextCursor: string | null }> {
      const rows = await orderStore(db).page({
        limit: q.limit,
        afterId: idFromCursor(q.cursor),
        status: q.status,
        visibleTo:
          principal.role === 'admin' ? undefined : { userId: principal.userId, asSeller: principal.role === 'seller' },
      });
      return keysetPage(rows, q.limit, (o) => [o.id]);
    },

    /** The buyer (or an admin) cancels while pending or confirmed; a confirmed order gets refunded. */
    cancel(principal: Principal, id: string): Promise<Order> {
      const who = principal.role === 'admin' ? 'admin' : 'customer';
      return db.transaction((tx) =>
        change(tx, id, { action: 'cancel', reason: 'customer' }, `cancelled by ${who}`, {
          authorize: (o) => assertMayCancel(principal, o),
        }),
      );
    },

    ship(principal: Principal, id: string, shipment: Shipment = {}): Promise<Order> {
      const via = [shipment.carrier, shipment.trackingNumber].filter(Boolean).join(' ');
      return db.transaction((tx) =>
        change(tx, id, { action: 'ship' }, `shipped by ${principal.role}${via ? ` (${via})` : ''}`, {
          authorize: (o) => assertMayFulfil(principal, o),
          shipment,
        }),
      );
    },

    deliver(principal: Principal, id: string): Promise<Order> {
      return db.transaction((tx) =>
        change(tx, id, { action: 'deliver' }, `delivered (marked by ${principal.role})`, {
          authorize: (o) => assertMayFulfil(principal, o),
        }),
      );
    },

    /** Admin refund of a delivered order: the payment service refunds on order.refunded. */
    refund(principal: Principal, id: string, reason?: string): Promise<Order> {
      return db.transaction((tx) =>
        change(tx, id, { action: 'refund' }, `refunded by admin${reason ? `: ${reason}` : ''}`, {
          authorize: (o) => assertMaySee(principal, o),
          ...(reason ? { refundReason: reason } : {}),
        }),
      );
    },

    /**
     * A saga step inside the event handler's transaction. A step the order's status no longer
     * allows (payment for an expired order, a second rejection) changes nothing and says why.
     */
    async step(
      tx: Sql,
      orderId: string,
      step: Change,
      cause: string,
      check?: (order: Order) => void,
    ): Promise<StepResult> {
      const order = await orderStore(tx).lock(orderId);
      const next = sagaStep(order, step, cause, check);
      if ('reason' in next) return { order, changed: false, reason: next.reason };
      await orderStore(tx).saveTransition(next.after, next.event);
      return { order: next.after, changed: true };
    },

    /** Records in the order's history what happened to its money without changing its status (a refund). */
    async noteInHistory(tx: Sql, orderId: string, cause: string): Promise<Order | null> {
      const store = orderStore(tx);
      const order = await store.lock(orderId);
      if (!order) return null;
      await store.appendHistory(orderId, { at: new Date().toISOString(), cause });
      return order;
    },

    /**
     * step() for the common case, on a fast path's handle, without a transaction: reads the order, and
     * if the step applies, writes it in one statement with the event's inbox row, guarded by the order
     * being unchanged since the read. Undefined when that did not happen (unknown order, a status the
     * step does not apply to, a race lost, the event seen before): step() in the inbox transaction
     * decides then.
     */
    async stepFast(
      sql: InboxSql,
      orderId: string,
      step: Change,
      cause: string,
      check?: (order: Order) => void,
    ): Promise<Order | undefined> {
      const store = orderStore(sql);
      const order = await store.byId(orderId);
      const next = sagaStep(order, step, cause, check);
      if (!order || 'reason' in next) return undefined;
      const read = { status: order.status, steps: order.history.length };
      return (await store.saveTransitionIfUnchanged(next.after, read, next.event)) ? next.after : undefined;
    },

    /** Cancels `expired` the orders pending past the timeout; returns how many. Safe with many instances. */
    async expireStale(batch = 100): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await db.transaction(async (tx) => {
          const stale = await orderStore(tx).lockStalePending(config.ORDER_PENDING_TIMEOUT_SECONDS, batch);
          for (const order of stale) {
            const step: Change = { action: 'cancel', reason: 'expired' };
            const after = transition(order, step, `still pending after ${config.ORDER_PENDING_TIMEOUT_SECONDS} s`);
            await orderStore(tx).saveTransition(after, orderChanged(order, after, step));
          }
          return stale.length;
        });
        total += n;
        if (n < batch) return total;
      }
    },
  };
}

export type Orders = ReturnType<typeof createOrders>;
