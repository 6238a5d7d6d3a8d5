import { randomUUID } from 'node:crypto';
import { newEvent } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { NOTIFYING_EVENTS, type NotifyingEventOf, planNotices, TEXTED_EVENTS } from '../domain/notices.js';
import { createTemplates } from './templates.js';

const templates = createTemplates();
const userId = randomUUID();
const orderId = randomUUID();
const usd = (amount: number) => ({ amount, currency: 'USD' });
const items = [{ productId: randomUUID(), name: 'Mug <b>"big"</b> & co', quantity: 2, unitPrice: usd(800) }];
const order = { orderId, userId, items, total: usd(1600), status: 'confirmed' };

const samples: Record<string, unknown> = {
  'user.registered': { userId, email: 'a@example.com', name: 'Ada <script>alert(1)</script>' },
  'user.password_reset_requested': {
    userId,
    email: 'a@example.com',
    name: 'Ada',
    resetUrl: 'https://shop.example/reset?token=abc&x=1',
    expiresAt: new Date().toISOString(),
  },
  'order.confirmed': { orderId, userId, items, total: usd(1600) },
  'order.cancelled': { orderId, userId, items, total: usd(1600), reason: 'out_of_stock' },
  'order.shipped': { orderId, userId, carrier: 'DHL', trackingNumber: 'T1' },
  'order.delivered': { orderId, userId },
  'payment.failed': { orderId, paymentId: randomUUID(), amount: usd(1600), reason: 'declined' },
  'payment.refunded': { orderId, paymentId: randomUUID(), amount: usd(1600) },
};

describe('templates', () => {
  it('exist for every event that mails or texts', () => {
    expect(() =>
      templates.check(NOTIFYING_EVENTS.map((type) => ({ type, email: true, sms: TEXTED_EVENTS.includes(type) }))),
    ).not.toThrow();
  });

  it.each(NOTIFYING_EVENTS)('%s renders text and HTML, escaping what came from users in the HTML only', (type) => {
    const event = newEvent(type, samples[type] as never) as NotifyingEventOf;
    const plan = planNotices(event, { recipient: null, order, links: { publicUrl: 'https://shop.example' } });
    const mail = templates.email(type, plan.model, { subject: plan.email?.subject ?? '', transactional: false });
    expect(mail.text.length).toBeGreaterThan(50);
    expect(mail.text).not.toMatch(/<%|%>|undefined|\[object Object\]/);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).not.toMatch(/<script>|<b>"big"|undefined/);
    expect(mail.text).not.toMatch(/\n{3,}/);
    if (type.startsWith('order.') || type.startsWith('payment.')) {
      expect(mail.text).toContain(`https://shop.example/orders/${orderId}`);
      expect(mail.html).toContain('Mug &lt;b&gt;&quot;big&quot;&lt;/b&gt; &amp; co');
      expect(mail.text).toContain('2 x Mug <b>"big"</b> & co @ $8.00 = $16.00');
    }
    if (TEXTED_EVENTS.includes(type)) {
      const sms = templates.sms(type, plan.model);
      expect(sms).toMatch(/^microBazaar: /);
      expect(sms).not.toContain('\n');
      expect(sms.length).toBeLessThanOrEqual(320);
    }
  });

  it('welcome mail greets by name, escaped in HTML', () => {
    const event = newEvent('user.registered', samples['user.registered'] as never) as NotifyingEventOf;
    const plan = planNotices(event, { recipient: null, order: null, links: { publicUrl: 'https://shop.example' } });
    const mail = templates.email(event.type, plan.model, { subject: 'Welcome', transactional: false });
    expect(mail.text).toContain('Hi Ada <script>alert(1)</script>,');
    expect(mail.html).toContain('Hi Ada &lt;script&gt;alert(1)&lt;/script&gt;,');
  });
});
