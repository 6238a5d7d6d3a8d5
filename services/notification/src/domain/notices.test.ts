import { randomUUID } from 'node:crypto';
import { newEvent } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { chooseChannels } from './channels.js';
import { orderNumber } from './messages.js';
import { type NotifyingEventOf, OrderNotYetKnown, type OrderView, planNotices, type Recipient } from './notices.js';
import { DEFAULT_PREFERENCES } from './preferences.js';

const links = { publicUrl: 'https://shop.example/' };
const userId = randomUUID();
const orderId = randomUUID();
const usd = (amount: number) => ({ amount, currency: 'USD' });
const recipient: Recipient = { userId, email: 'ada@example.com', name: 'Ada' };
const order: OrderView = {
  orderId,
  userId,
  items: [{ productId: randomUUID(), name: 'Tea', quantity: 3, unitPrice: usd(450) }],
  total: usd(1350),
  status: 'confirmed',
};

const plan = (event: unknown, o: OrderView | null = order) =>
  planNotices(event as NotifyingEventOf, { recipient, order: o, links });

describe('planNotices', () => {
  it('order.confirmed: in-app, email and SMS, with formatted lines and links', () => {
    const p = plan(newEvent('order.confirmed', { orderId, userId, items: order.items, total: usd(1350) }));
    expect(p.userId).toBe(userId);
    expect(p.transactional).toBe(false);
    expect(p.inApp?.title).toBe(`Order ${orderNumber(orderId)} confirmed`);
    expect(p.inApp?.body).toContain('$13.50');
    expect(p.email?.subject).toBe(`Your order ${orderNumber(orderId)} is confirmed`);
    expect(p.sms).toBe(true);
    expect(p.model.order).toMatchObject({
      url: `https://shop.example/orders/${orderId}`,
      lines: [{ name: 'Tea', quantity: 3, unitPrice: '$4.50', lineTotal: '$13.50' }],
      total: '$13.50',
    });
  });

  it('password reset: transactional, email only, sensitive, until the link expires', () => {
    const expiresAt = new Date(Date.now() + 1800_000).toISOString();
    const p = plan(
      newEvent('user.password_reset_requested', {
        userId,
        email: 'ada@example.com',
        name: 'Ada',
        resetUrl: 'https://shop.example/reset?token=x',
        expiresAt,
      }),
    );
    expect(p.transactional).toBe(true);
    expect(p.inApp).toBeUndefined();
    expect(p.sms).toBeUndefined();
    expect(p.email).toMatchObject({ sensitive: true, expiresAt: new Date(expiresAt) });
    expect(p.model.resetUrl).toBe('https://shop.example/reset?token=x');
  });

  it('order.cancelled for a failed payment stays in-app (payment.failed already mailed); a paid one says refund', () => {
    const base = { orderId, userId, items: order.items, total: usd(1350) };
    const quiet = plan(newEvent('order.cancelled', { ...base, reason: 'payment_failed' }));
    expect(quiet.inApp?.body).toBe('Your order was cancelled because the payment did not go through.');
    expect(quiet.email).toBeUndefined();
    expect(quiet.sms).toBeUndefined();
    const paid = plan(newEvent('order.cancelled', { ...base, reason: 'customer', previousStatus: 'confirmed' }));
    expect(paid.inApp?.body).toBe('Your order was cancelled because you cancelled it. Your payment will be refunded.');
    expect(paid.email).toBeDefined();
  });

  it('payment events find their user through the order read model, and wait for it', () => {
    const event = newEvent('payment.refunded', { orderId, paymentId: randomUUID(), amount: usd(1350) });
    expect(plan(event).userId).toBe(userId);
    expect(() => plan(event, null)).toThrow(OrderNotYetKnown);
  });

  it('shows a line without a name by its product id and a missing total as unknown', () => {
    const productId = randomUUID();
    const p = plan(newEvent('order.delivered', { orderId, userId }), {
      ...order,
      items: [{ productId, quantity: 1, unitPrice: usd(100) }],
      total: null,
    });
    expect(p.model.order?.lines[0]?.name).toBe(`Item ${productId.slice(0, 8)}`);
    expect(p.model.order?.total).toBeNull();
  });
});

describe('chooseChannels', () => {
  const confirmed = plan(newEvent('order.confirmed', { orderId, userId, items: order.items, total: usd(1350) }));

  it('follows the preferences and the addresses known', () => {
    expect(chooseChannels(confirmed, DEFAULT_PREFERENCES, recipient)).toEqual({
      inApp: true,
      email: 'ada@example.com',
      sms: null,
      unreachable: [],
    });
    const all = { ...DEFAULT_PREFERENCES, sms: true, phone: '+14155550123', phoneVerified: true };
    expect(chooseChannels(confirmed, all, recipient)).toMatchObject({ email: 'ada@example.com', sms: '+14155550123' });
    // no SMS to a number its owner has not proved with a code
    expect(chooseChannels(confirmed, { ...all, phoneVerified: false }, recipient)).toMatchObject({
      sms: null,
      unreachable: ['sms: the phone number is not verified'],
    });
    // an address that a mail header would split into several recipients is never written to
    for (const email of ['a@x.com,victim@y.com', 'a;b@x.com', 'Ann <a@x.com>']) {
      expect(chooseChannels(confirmed, DEFAULT_PREFERENCES, { ...recipient, email })).toMatchObject({
        email: null,
        unreachable: ['email: the address has characters mail headers split on'],
      });
    }
    const none = { ...DEFAULT_PREFERENCES, email: false, inApp: false };
    expect(chooseChannels(confirmed, none, recipient)).toEqual({
      inApp: false,
      email: null,
      sms: null,
      unreachable: [],
    });
    // wanted, but nowhere to send it: recorded
    expect(chooseChannels(confirmed, DEFAULT_PREFERENCES, null)).toMatchObject({
      email: null,
      unreachable: ['email: no address known'],
    });
  });

  it('a transactional mail goes even with email off', () => {
    const reset = plan(
      newEvent('user.password_reset_requested', {
        userId,
        email: 'ada@example.com',
        name: 'Ada',
        resetUrl: 'https://x/y',
        expiresAt: new Date().toISOString(),
      }),
    );
    const choice = chooseChannels(reset, { ...DEFAULT_PREFERENCES, email: false, inApp: false }, recipient);
    expect(choice.email).toBe('ada@example.com');
  });
});
