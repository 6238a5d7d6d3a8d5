// The order use cases in one object for the routes, the saga consumer and the sweeper: checkout
// (checkout.ts), the saga's steps (saga.ts), and here what buyers, sellers and admins read and do.
import { type Db, idFromCursor, keysetPage, NotFound, type Principal, type Sql } from '@microbazaar/kit';
import type { CartReader } from '../adapters/cart.js';
import type { Catalog } from '../adapters/catalog.js';
import type { OrderConfig } from '../config.js';
import {
  assertMayCancel,
  assertMayFulfil,
  assertMaySee,
  type Change,
  fulfilledBy,
  type LineFulfilment,
  type Order,
  type OrderStatus,
  orderSeenBy,
  type Shipment,
  transition,
} from '../domain/order.js';
import { orderChanged } from '../events/publish.js';
import { orderStore } from '../store/orders.js';
import { createCheckout } from './checkout.js';
import { createSagaSteps } from './saga.js';

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

export function createOrders(deps: OrdersDeps) {
  const { db } = deps;
  type ChangeOptions = { authorize?: (order: Order) => void; refundReason?: string };

  /** One guarded change of an order locked in the caller's transaction, with its events; `authorize` may refuse. */
  async function change(tx: Sql, orderId: string, step: Change, cause: string, opts: ChangeOptions = {}) {
    const before = await orderStore(tx).lock(orderId);
    if (!before) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
    opts.authorize?.(before);
    const after = transition(before, step, cause);
    const events = orderChanged(before, after, step, opts.refundReason ? { refundReason: opts.refundReason } : {});
    await orderStore(tx).saveTransition(after, events);
    return after;
  }

  /** A change made by `principal`, answered with the order as they may read it. */
  const seenBy = (principal: Principal) => (order: Order) => orderSeenBy(principal, order);

  return {
    ...createCheckout(deps),
    ...createSagaSteps(deps),

    async get(principal: Principal, id: string): Promise<Order> {
      const order = await orderStore(db).byId(id);
      if (!order) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
      assertMaySee(principal, order);
      return orderSeenBy(principal, order);
    },

    /**
     * Customers see their orders; sellers also those containing their products, with their own lines
     * only (orderSeenBy); admins all.
     */
    async list(
      principal: Principal,
      q: {
        limit: number;
        cursor?: string | undefined;
        status?: OrderStatus | undefined;
        fulfilment?: LineFulfilment | undefined;
      },
    ): Promise<{ items: Order[]; nextCursor: string | null }> {
      const rows = await orderStore(db).page({
        limit: q.limit,
        afterId: idFromCursor(q.cursor),
        status: q.status,
        // a seller asks about their own lines; buyers and admins about any line of the order
        lineFulfilment: q.fulfilment
          ? { state: q.fulfilment, seller: principal.role === 'seller' ? principal.userId : undefined }
          : undefined,
        visibleTo:
          principal.role === 'admin' ? undefined : { userId: principal.userId, asSeller: principal.role === 'seller' },
      });
      return keysetPage(rows.map(seenBy(principal)), q.limit, (o) => [o.id]);
    },

    /** The buyer (or an admin) cancels while pending or confirmed and nothing shipped; a confirmed order gets refunded. */
    cancel(principal: Principal, id: string): Promise<Order> {
      const who = principal.role === 'admin' ? 'admin' : 'customer';
      return db.transaction((tx) =>
        change(tx, id, { action: 'cancel', reason: 'customer' }, `cancelled by ${who}`, {
          authorize: (o) => assertMayCancel(principal, o),
        }),
      );
    },

    /**
     * A seller ships their own lines of a confirmed order (an admin: every unshipped line); the order is
     * shipped, and order.shipped published, when its last line is.
     */
    ship(principal: Principal, id: string, shipment: Shipment = {}): Promise<Order> {
      const via = [shipment.carrier, shipment.trackingNumber].filter(Boolean).join(' ');
      const step: Change = { action: 'ship', seller: fulfilledBy(principal), shipment };
      return db
        .transaction((tx) =>
          change(tx, id, step, `shipped by ${principal.role}${via ? ` (${via})` : ''}`, {
            authorize: (o) => assertMayFulfil(principal, o),
          }),
        )
        .then(seenBy(principal));
    },

    /** A seller marks their shipped lines delivered (an admin: every shipped line); the order is delivered with its last line. */
    deliver(principal: Principal, id: string): Promise<Order> {
      const step: Change = { action: 'deliver', seller: fulfilledBy(principal) };
      return db
        .transaction((tx) =>
          change(tx, id, step, `delivered (marked by ${principal.role})`, {
            authorize: (o) => assertMayFulfil(principal, o),
          }),
        )
        .then(seenBy(principal));
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
  };
}

export type Orders = ReturnType<typeof createOrders>;
