// Checkout: the lines (the buyer's cart when the request names none) priced by the catalog now, stored as a
// pending order with its events (order.created, the payment's request) in one statement; the
// Idempotency-Key makes a retry return the same order.
import { createHash, randomUUID } from 'node:crypto';
import { Conflict, type Db, Invalid, NotFound, type Principal } from '@microbazaar/kit';
import type { CartReader } from '../adapters/cart.js';
import type { Catalog } from '../adapters/catalog.js';
import type { OrderConfig } from '../config.js';
import {
  mergeLines,
  newOrder,
  type Order,
  priceLines,
  type ShippingAddress,
  type WantedLine,
} from '../domain/order.js';
import { orderPlaced } from '../events/publish.js';
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

export interface CheckoutDeps {
  db: Db;
  catalog: Catalog;
  cart: CartReader;
  config: Pick<OrderConfig, 'ORDER_MAX_LINES' | 'ORDER_MAX_QUANTITY'>;
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

export function createCheckout({ db, catalog, cart, config }: CheckoutDeps) {
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
     * Checkout: prices the lines from the catalog, stores the order pending with its events in the
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
      // one statement, so no transaction: the key's claim, the order and its events commit together
      const placed = await store.insertClaimed(
        order,
        { key: req.idempotencyKey, requestHash: hash },
        orderPlaced(order, req.body.paymentToken),
      );
      return placed ? order : replay(principal.userId, req.idempotencyKey, hash);
    },
  };
}
