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
  type Order,
  type OrderStatus,
  transition,
} from '../domain/order.js';
import { orderChanged, type Shipment } from '../events/publish.js';
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
  type ChangeOptions = { authorize?: (order: Order) => void; shipment?: Shipment; refundReason?: string };

  /** One guarded status change of an order locked in the caller's transaction, with its event; `authorize` may refuse. */
  async function change(tx: Sql, orderId: string, step: Change, cause: string, opts: ChangeOptions = {}) {
    const before = await orderStore(tx).lock(orderId);
    if (!before) throw new NotFound('Order not found', 'ORDER_NOT_FOUND');
    opts.authorize?.(before);
    const after = transition(before, step, cause);
    const event = orderChanged(before, after, step, {
      ...(opts.shipment ? { shipment: opts.shipment } : {}),
      ...(opts.refundReason ? { refundReason: opts.refundReason } : {}),
    });
    await orderStore(tx).saveTransition(after, event);
    return after;
  }

  return {
    ...createCheckout(deps),
    ...createSagaSteps(deps),

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
  };
}

export type Orders = ReturnType<typeof createOrders>;
