import { describe, expect, it } from 'vitest';
import {
  assertValidEvent,
  EVENT_TYPES,
  EventValidationError,
  EXCHANGES,
  exchangeFor,
  exchangesForPattern,
  OrderCreated,
  QUEUES,
  SECRET_FIELDS,
  TOPOLOGY,
  validateEvent,
} from './events.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const money = { amount: 1999, currency: 'USD' };
const items = [{ productId: id(3), quantity: 2, unitPrice: money }];

const samples: Record<(typeof EVENT_TYPES)[number], unknown> = {
  'user.registered': { userId: id(1), email: 'ada@example.com', name: 'Ada' },
  'user.password_reset_requested': {
    userId: id(1),
    email: 'ada@example.com',
    name: 'Ada',
    resetUrl: 'http://localhost:8080/reset-password?token=abc',
    expiresAt: '2026-01-01T10:00:00.000Z',
  },
  'product.created': {
    productId: id(3),
    sellerId: id(4),
    name: 'Mug',
    slug: 'mug',
    price: money,
    stock: 5,
    status: 'active',
  },
  'product.updated': {
    productId: id(3),
    sellerId: id(4),
    name: 'Mug',
    slug: 'mug',
    price: money,
    stock: 4,
    status: 'active',
    changed: ['stock'],
  },
  'product.deleted': {
    productId: id(3),
    sellerId: id(4),
    slug: 'mug',
    name: 'Mug',
    price: money,
    stock: 0,
    status: 'archived',
  },
  'inventory.reserved': { orderId: id(2), lines: [{ productId: id(3), quantity: 2 }] },
  'inventory.rejected': {
    orderId: id(2),
    reason: 'out_of_stock',
    shortLines: [{ productId: id(3), requested: 2, available: 1 }],
  },
  'inventory.released': { orderId: id(2), lines: [{ productId: id(3), quantity: 2 }], reason: 'order_cancelled' },
  'order.created': { orderId: id(2), userId: id(1), items, total: { amount: 3998, currency: 'USD' } },
  'order.payment_requested': {
    orderId: id(2),
    userId: id(1),
    total: { amount: 3998, currency: 'USD' },
    paymentToken: 'tok_ok',
  },
  'order.confirmed': { orderId: id(2), userId: id(1), items, total: money, paymentId: id(5) },
  'order.cancelled': { orderId: id(2), userId: id(1), items, total: money, reason: 'payment_failed' },
  'order.shipped': { orderId: id(2), userId: id(1), carrier: 'DHL', trackingNumber: '123' },
  'order.delivered': { orderId: id(2), userId: id(1) },
  'order.refunded': { orderId: id(2), userId: id(1), amount: money },
  'payment.succeeded': { orderId: id(2), paymentId: id(5), amount: money, provider: 'sandbox' },
  'payment.failed': { orderId: id(2), paymentId: id(5), amount: money, reason: 'card_declined' },
  'payment.refunded': { orderId: id(2), paymentId: id(5), amount: money },
};

const envelope = (type: string, data: unknown) => ({
  id: id(99),
  type,
  version: 1,
  occurredAt: '2026-01-01T10:00:00.123Z',
  correlationId: 'req-1',
  data,
});

describe('event contracts', () => {
  it('accepts a valid event of every type', () => {
    for (const type of EVENT_TYPES) {
      const result = validateEvent(envelope(type, samples[type]));
      expect(result, type).toMatchObject({ ok: true });
    }
  });

  it('names what is wrong: envelope, unknown type, payload', () => {
    expect(validateEvent({ ...envelope('order.created', samples['order.created']), correlationId: '' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('invalid envelope: /correlationId'),
    });
    expect(validateEvent(envelope('order.exploded', {}))).toEqual({
      ok: false,
      reason: 'unknown event type "order.exploded"',
    });
    const bad = validateEvent(
      envelope('order.created', { ...(samples['order.created'] as object), total: { amount: 1.5, currency: 'usd' } }),
    );
    expect(bad).toMatchObject({
      ok: false,
      reason: expect.stringContaining('invalid order.created data: /data/total/amount'),
    });
    expect(validateEvent('not an object')).toMatchObject({ ok: false });
  });

  it('rejects money that is not integer minor units, and unknown cancel reasons', () => {
    const refund = { orderId: id(2), userId: id(1), amount: { amount: -1, currency: 'USD' } };
    expect(validateEvent(envelope('order.refunded', refund)).ok).toBe(false);
    const cancelled = { ...(samples['order.cancelled'] as object), reason: 'bored' };
    expect(validateEvent(envelope('order.cancelled', cancelled)).ok).toBe(false);
  });

  it('accepts product.deleted with ids only (written before it carried a snapshot), checks a snapshot it carries', () => {
    expect(validateEvent(envelope('product.deleted', { productId: id(3), sellerId: id(4) })).ok).toBe(true);
    const snapshot = samples['product.deleted'] as object;
    for (const bad of [{ price: { amount: 19.99, currency: 'USD' } }, { stock: -1 }, { name: '' }, { status: '' }]) {
      expect(validateEvent(envelope('product.deleted', { ...snapshot, ...bad })).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('accepts additive fields (a newer publisher must not dead-letter at an older consumer)', () => {
    const newer = { ...(samples['order.created'] as object), couponCode: 'SPRING' };
    expect(validateEvent({ ...envelope('order.created', newer), version: 2, source: 'order' }).ok).toBe(true);
  });

  it('assertValidEvent throws EventValidationError with the event id', () => {
    expect(() => assertValidEvent(envelope('order.created', {}))).toThrow(EventValidationError);
    try {
      assertValidEvent(envelope('order.created', {}));
    } catch (err) {
      expect((err as EventValidationError).eventId).toBe(id(99));
    }
  });

  it('maps each domain to its exchange and binding patterns to the exchanges they need', () => {
    expect(exchangeFor('user.registered')).toBe('users_exchange');
    expect(exchangeFor('product.updated')).toBe('products_exchange');
    expect(exchangeFor('inventory.reserved')).toBe('products_exchange');
    expect(exchangeFor('order.created')).toBe('orders_exchange');
    expect(exchangeFor('payment.failed')).toBe('payments_exchange');
    expect(exchangeFor('cart.updated')).toBeUndefined();
    for (const type of EVENT_TYPES) expect(exchangeFor(type), type).toBeDefined();
    expect(exchangesForPattern('order.*')).toEqual(['orders_exchange']);
    expect(exchangesForPattern('#')).toEqual(EXCHANGES);
    expect(exchangesForPattern('*.refunded')).toEqual(EXCHANGES);
    expect(EXCHANGES).toEqual(['users_exchange', 'products_exchange', 'orders_exchange', 'payments_exchange']);
  });

  it('binds an event that carries a secret to the one queue it is for, and nothing else carries one', () => {
    const bound = (type: string) =>
      Object.entries(TOPOLOGY).filter(([, types]) => (types as readonly string[]).includes(type));
    expect(bound('order.payment_requested').map(([queue]) => queue)).toEqual([QUEUES.payments]);
    expect(bound('user.password_reset_requested').map(([queue]) => queue)).toEqual([QUEUES.notifications]);
    // the token is not on order.created, which inventory and notifications read too
    expect(Object.keys(OrderCreated.properties)).not.toContain('paymentToken');
    for (const [type, fields] of Object.entries(SECRET_FIELDS)) {
      for (const field of fields ?? []) expect(bound(type).length, `${type}.${field}`).toBe(1);
    }
  });
});
