import type { Principal } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import {
  assertMayCancel,
  assertMayFulfil,
  assertMaySee,
  type CatalogProduct,
  type Change,
  canTransition,
  LINE_TRANSITIONS,
  mergeLines,
  newOrder,
  ORDER_STATUSES,
  type Order,
  type OrderAction,
  OrderStateConflict,
  type OrderStatus,
  orderSeenBy,
  priceLines,
  TRANSITIONS,
  transition,
} from './order.js';

const BUYER = '00000000-0000-4000-8000-00000000000b';
const SELLER = '00000000-0000-4000-8000-000000000005';
const OTHER_SELLER = '00000000-0000-4000-8000-000000000006';
const P1 = '00000000-0000-4000-8000-0000000000a1';
const P2 = '00000000-0000-4000-8000-0000000000a2';

const address = { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

function order(status: OrderStatus = 'pending'): Order {
  const base = newOrder({
    id: '00000000-0000-4000-8000-000000000001',
    userId: BUYER,
    items: [
      {
        productId: P1,
        sellerId: SELLER,
        name: 'Lamp',
        unitPrice: { amount: 1999, currency: 'USD' },
        quantity: 2,
        lineTotal: { amount: 3998, currency: 'USD' },
        fulfilment:
          status === 'shipped'
            ? 'shipped'
            : status === 'delivered' || status === 'refunded'
              ? 'delivered'
              : 'unshipped',
      },
    ],
    total: { amount: 3998, currency: 'USD' },
    shippingAddress: address,
    at: new Date('2030-01-01T00:00:00Z'),
  });
  return { ...base, status };
}

const ACTIONS = [...Object.keys(TRANSITIONS), ...Object.keys(LINE_TRANSITIONS)] as OrderAction[];

const changeFor: Record<OrderAction, Change> = {
  confirm: { action: 'confirm', paymentId: '00000000-0000-4000-8000-0000000000f1' },
  ship: { action: 'ship' },
  deliver: { action: 'deliver' },
  cancel: { action: 'cancel', reason: 'customer' },
  refund: { action: 'refund' },
};

const principal = (userId: string, role: Principal['role']): Principal => ({ userId, role, email: '', exp: 0 });

describe('order state machine', () => {
  // the table from ARCHITECTURE.md, written out: anything not listed here must be refused
  // (one seller: ship and deliver move the order's only line, so the order with it)
  const allowed: Array<[OrderStatus, OrderAction, OrderStatus]> = [
    ['pending', 'confirm', 'confirmed'],
    ['confirmed', 'ship', 'shipped'],
    ['shipped', 'deliver', 'delivered'],
    ['pending', 'cancel', 'cancelled'],
    ['confirmed', 'cancel', 'cancelled'],
    ['delivered', 'refund', 'refunded'],
  ];

  for (const status of ORDER_STATUSES) {
    for (const action of ACTIONS) {
      const rule = allowed.find(([from, a]) => from === status && a === action);
      it(`${status} --${action}--> ${rule ? rule[2] : 'refused (409)'}`, () => {
        expect(canTransition(order(status), action)).toBe(Boolean(rule));
        if (rule) {
          const after = transition(order(status), changeFor[action], 'test', new Date('2030-01-02T00:00:00Z'));
          expect(after.status).toBe(rule[2]);
        } else {
          const attempt = () => transition(order(status), changeFor[action], 'test');
          expect(attempt).toThrow(OrderStateConflict);
          try {
            attempt();
          } catch (err) {
            expect((err as OrderStateConflict).statusCode).toBe(409);
            expect((err as OrderStateConflict).code).toBe('ORDER_STATE_CONFLICT');
          }
        }
      });
    }
  }

  it('records every change in the history with its time and cause, leaving the input untouched', () => {
    const placed = order();
    const confirmed = transition(placed, changeFor.confirm, 'payment.succeeded', new Date('2030-01-02T00:00:00Z'));
    const cancelled = transition(
      confirmed,
      { action: 'cancel', reason: 'customer' },
      'cancelled by customer',
      new Date('2030-01-03T00:00:00Z'),
    );
    expect(placed.status).toBe('pending');
    expect(placed.history).toHaveLength(1);
    expect(cancelled.history).toEqual([
      { status: 'pending', at: '2030-01-01T00:00:00.000Z', cause: 'checkout' },
      { status: 'confirmed', at: '2030-01-02T00:00:00.000Z', cause: 'payment.succeeded' },
      { status: 'cancelled', at: '2030-01-03T00:00:00.000Z', cause: 'cancelled by customer' },
    ]);
    expect(cancelled.cancelReason).toBe('customer');
    expect(cancelled.paymentId).toBe(confirmed.paymentId);
    expect(cancelled.updatedAt).toBe('2030-01-03T00:00:00.000Z');
  });
});

describe('an order from two sellers', () => {
  const line = (productId: string, sellerId: string, amount: number) => ({
    productId,
    sellerId,
    name: productId === P1 ? 'Lamp' : 'Desk',
    unitPrice: { amount, currency: 'USD' },
    quantity: 1,
    lineTotal: { amount, currency: 'USD' },
    fulfilment: 'unshipped' as const,
  });
  const confirmed = (): Order =>
    transition(
      newOrder({
        id: '00000000-0000-4000-8000-000000000002',
        userId: BUYER,
        items: [line(P1, SELLER, 1999), line(P2, OTHER_SELLER, 25_000)],
        total: { amount: 26_999, currency: 'USD' },
        shippingAddress: address,
      }),
      changeFor.confirm,
      'payment.succeeded',
    );
  const at = new Date('2030-01-05T00:00:00Z');

  it("one seller's shipment moves their lines only; the order is shipped with the last seller's", () => {
    const first = transition(
      confirmed(),
      { action: 'ship', seller: SELLER, shipment: { carrier: 'DHL', trackingNumber: 'A1' } },
      'shipped by seller (DHL A1)',
      at,
    );
    expect(first.status).toBe('confirmed');
    expect(first.items.map((l) => l.fulfilment)).toEqual(['shipped', 'unshipped']);
    expect(first.items[0]).toMatchObject({ carrier: 'DHL', trackingNumber: 'A1', shippedAt: at.toISOString() });
    expect(first.history.at(-1)).toEqual({
      status: 'confirmed',
      at: at.toISOString(),
      cause: 'shipped by seller (DHL A1): 1 of 2 lines',
    });
    // shipping again is a conflict: nothing of theirs is left to ship
    expect(() => transition(first, { action: 'ship', seller: SELLER }, 'again')).toThrow(OrderStateConflict);
    const both = transition(first, { action: 'ship', seller: OTHER_SELLER }, 'shipped by seller', at);
    expect(both.status).toBe('shipped');
    expect(both.history.at(-1)?.cause).toBe('shipped by seller');
  });

  it('delivered only when every line is; a line is delivered only after it shipped', () => {
    const o = confirmed();
    expect(() => transition(o, { action: 'deliver', seller: SELLER }, 'x')).toThrow(/Nothing to deliver/);
    const a = transition(o, { action: 'ship', seller: SELLER }, 'x');
    const aDelivered = transition(a, { action: 'deliver', seller: SELLER }, 'x');
    expect(aDelivered.status).toBe('confirmed');
    expect(aDelivered.items.map((l) => l.fulfilment)).toEqual(['delivered', 'unshipped']);
    const bShipped = transition(aDelivered, { action: 'ship', seller: OTHER_SELLER }, 'x');
    expect(bShipped.status).toBe('shipped');
    expect(transition(bShipped, { action: 'deliver', seller: OTHER_SELLER }, 'x').status).toBe('delivered');
  });

  it('an admin (no seller) moves every line that can move', () => {
    const shipped = transition(confirmed(), { action: 'ship' }, 'shipped by admin');
    expect(shipped.status).toBe('shipped');
    expect(transition(shipped, { action: 'deliver' }, 'x').items.every((l) => l.fulfilment === 'delivered')).toBe(true);
  });

  it('cancel is allowed until a line ships, by anyone, then 409', () => {
    expect(canTransition(confirmed(), 'cancel')).toBe(true);
    const partly = transition(confirmed(), { action: 'ship', seller: OTHER_SELLER }, 'x');
    expect(canTransition(partly, 'cancel')).toBe(false);
    expect(() => transition(partly, { action: 'cancel', reason: 'customer' }, 'x')).toThrow(
      expect.objectContaining({
        statusCode: 409,
        code: 'ORDER_STATE_CONFLICT',
        message: expect.stringMatching(/shipped/),
      }),
    );
  });

  it("a seller reads their own lines, their total and the address, never the other seller's", () => {
    const o = transition(
      confirmed(),
      { action: 'ship', seller: OTHER_SELLER, shipment: { carrier: 'UPS' } },
      'x (UPS)',
    );
    const seen = orderSeenBy(principal(SELLER, 'seller'), o);
    expect(seen.items.map((l) => l.productId)).toEqual([P1]);
    expect(seen.total).toEqual({ amount: 1999, currency: 'USD' });
    expect(seen.shippingAddress).toEqual(address);
    expect(JSON.stringify(seen)).not.toContain('UPS');
    expect(JSON.stringify(seen)).not.toContain('25000');
    // the other seller's partial shipment left the status as it was: not in this seller's history
    expect(seen.history.map((e) => [e.status, e.cause])).toEqual([
      ['pending', 'checkout'],
      ['confirmed', 'payment.succeeded'],
    ]);
    expect(orderSeenBy(principal(BUYER, 'customer'), o)).toEqual(o);
    expect(orderSeenBy(principal(OTHER_SELLER, 'admin'), o)).toEqual(o);
  });
});

describe('pricing at checkout', () => {
  const catalog = new Map<string, CatalogProduct>([
    [P1, { id: P1, name: 'Lamp', price: { amount: 1999, currency: 'USD' }, sellerId: SELLER, status: 'active' }],
    [P2, { id: P2, name: 'Desk', price: { amount: 25_000, currency: 'USD' }, sellerId: OTHER_SELLER }],
  ]);

  it('prices every line from the catalog in integer minor units', () => {
    const { items, total } = priceLines(
      [
        { productId: P1, quantity: 3 },
        { productId: P2, quantity: 1 },
      ],
      catalog,
    );
    expect(items.map((i) => [i.name, i.unitPrice.amount, i.lineTotal.amount, i.sellerId])).toEqual([
      ['Lamp', 1999, 5997, SELLER],
      ['Desk', 25_000, 25_000, OTHER_SELLER],
    ]);
    expect(total).toEqual({ amount: 30_997, currency: 'USD' });
  });

  it('refuses unknown (404), withdrawn (409) and mixed-currency (409) lines', () => {
    const unknown = '00000000-0000-4000-8000-0000000000ff';
    expect(() => priceLines([{ productId: unknown, quantity: 1 }], catalog)).toThrow(
      expect.objectContaining({ statusCode: 404, code: 'PRODUCT_NOT_FOUND' }),
    );
    const archived = new Map(catalog);
    archived.set(P1, { ...(catalog.get(P1) as CatalogProduct), status: 'archived' });
    expect(() => priceLines([{ productId: P1, quantity: 1 }], archived)).toThrow(
      expect.objectContaining({ statusCode: 409, code: 'PRODUCT_UNAVAILABLE' }),
    );
    const euro = new Map(catalog);
    euro.set(P2, { ...(catalog.get(P2) as CatalogProduct), price: { amount: 100, currency: 'EUR' } });
    expect(() =>
      priceLines(
        [
          { productId: P1, quantity: 1 },
          { productId: P2, quantity: 1 },
        ],
        euro,
      ),
    ).toThrow(expect.objectContaining({ statusCode: 409, code: 'CURRENCY_MISMATCH' }));
  });

  it('adds up repeated products into one line, in first-seen order', () => {
    expect(
      mergeLines([
        { productId: P2, quantity: 1 },
        { productId: P1, quantity: 2 },
        { productId: P2, quantity: 4 },
      ]),
    ).toEqual([
      { productId: P2, quantity: 5 },
      { productId: P1, quantity: 2 },
    ]);
  });
});

describe('who may see and change an order', () => {
  const o = order('confirmed');

  it('buyer, its sellers and admins see it; everyone else gets 404', () => {
    expect(() => assertMaySee(principal(BUYER, 'customer'), o)).not.toThrow();
    expect(() => assertMaySee(principal(SELLER, 'seller'), o)).not.toThrow();
    expect(() => assertMaySee(principal(OTHER_SELLER, 'admin'), o)).not.toThrow();
    expect(() => assertMaySee(principal(OTHER_SELLER, 'seller'), o)).toThrow(
      expect.objectContaining({ statusCode: 404 }),
    );
    expect(() => assertMaySee(principal(OTHER_SELLER, 'customer'), o)).toThrow(
      expect.objectContaining({ statusCode: 404 }),
    );
  });

  it('only its sellers and admins ship; the buyer is refused (403)', () => {
    expect(() => assertMayFulfil(principal(SELLER, 'seller'), o)).not.toThrow();
    expect(() => assertMayFulfil(principal(OTHER_SELLER, 'admin'), o)).not.toThrow();
    expect(() => assertMayFulfil(principal(BUYER, 'customer'), o)).toThrow(
      expect.objectContaining({ statusCode: 403 }),
    );
  });

  it('only the buyer and admins cancel; a seller of the order is refused (403)', () => {
    expect(() => assertMayCancel(principal(BUYER, 'customer'), o)).not.toThrow();
    expect(() => assertMayCancel(principal(OTHER_SELLER, 'admin'), o)).not.toThrow();
    expect(() => assertMayCancel(principal(SELLER, 'seller'), o)).toThrow(expect.objectContaining({ statusCode: 403 }));
  });
});
