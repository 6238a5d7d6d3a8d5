// Email end to end: events on RabbitMQ → inbox → rendered mail → nodemailer → a real SMTP server on loopback.
import { randomUUID } from 'node:crypto';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStore } from '../src/store/deliveries.js';
import {
  confirmedOrder,
  money,
  type NotificationHarness,
  type Service,
  startNotificationHarness,
  user,
} from './harness.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const WAIT = 15_000;

let b: NotificationHarness;
let smtp: TestSmtp;
let svc: Service;

beforeAll(async () => {
  smtp = await startSmtp();
  // four attempts: 50 ms, 100 ms, then 2 s before the last, so a test can bring the server back in between
  b = await startNotificationHarness('email', {
    env: { SMTP_URL: smtp.url, DELIVERY_MAX_ATTEMPTS: '4', DELIVERY_RETRY_DELAYS_MS: '50,100,2000' },
  });
  svc = b.main;
});

afterAll(async () => {
  await b?.close();
  await smtp?.close();
});

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));

async function mailTo(address: string) {
  return eventually(() => {
    const [mail] = mailsTo(address);
    expect(mail).toBeDefined();
    return mail as NonNullable<typeof mail>;
  }, WAIT);
}

async function registered(u = user(), name = 'Ada') {
  await b.publish('user.registered', { userId: u.id, email: u.email, name });
  await mailTo(u.email);
  return u;
}

const deliveries = (eventId: string) => deliveryStore(svc.db).forEvent(eventId);

/** The token names the user's email, as the auth service's do (the service learns addresses from it). */
async function asUser(userId: string, email: string) {
  return { authorization: `Bearer ${await b.jwks.sign({ sub: userId, email })}` };
}

describe('mail over real SMTP', () => {
  it('registration sends a welcome mail: recipient, sender, subject, text and HTML bodies', async () => {
    const u = user();
    await b.publish('user.registered', { userId: u.id, email: u.email, name: 'Ada Lovelace' });
    const mail = await mailTo(u.email);
    expect(mail.to).toEqual([u.email]);
    expect(mail.from).toBe('no-reply@microbazaar.local');
    // the name the user chose is in the body, never the subject
    expect(mail.subject).toBe('Welcome to microBazaar');
    expect(mail.text).toContain('Hi Ada Lovelace,');
    expect(mail.text).toContain('Start shopping: https://shop.example');
    expect(mail.html).toContain('<a href="https://shop.example"');
    expect(mail.html).toContain('Start shopping');
    expect(mail.headers['message-id']).toMatch(/^<[0-9a-f-]{36}@microbazaar\.local>$/);
    // and the in-app welcome
    const list = await svc.app.inject({ url: '/api/notifications', headers: await asUser(u.id, u.email) });
    expect(list.json().items).toEqual([
      expect.objectContaining({ type: 'user.registered', title: 'Welcome to microBazaar', read: false }),
    ]);
  });

  it('password reset mails the link from the event, and the stored copy of the link is wiped once sent', async () => {
    const u = user();
    const resetUrl = `https://shop.example/reset-password?token=${randomUUID()}&v=1`;
    const event = await b.publish('user.password_reset_requested', {
      userId: u.id,
      email: u.email,
      name: 'Grace',
      resetUrl,
      expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    });
    const mail = await mailTo(u.email);
    expect(mail.subject).toBe('Reset your microBazaar password');
    expect(mail.text).toContain(resetUrl);
    expect(mail.html).toContain(`href="${resetUrl.replace('&', '&amp;')}"`);
    await eventually(async () => expect((await deliveries(event.id))[0]?.status).toBe('sent'), WAIT);
    const [row] = await svc.db.query<{ text: string | null; html: string | null }>(
      'SELECT body_text AS text, body_html AS html FROM deliveries WHERE event_id = $1',
      [event.id],
    );
    expect(row).toEqual({ text: null, html: null });
    // the link is a secret: no in-app copy
    const list = await svc.app.inject({ url: '/api/notifications', headers: await asUser(u.id, u.email) });
    expect(list.json().items).toEqual([]);
  });

  it('order confirmed: the mail shows each line, the total and the order link (HTML escaped)', async () => {
    const u = await registered();
    const data = confirmedOrder(u.id);
    await b.publish('order.confirmed', data);
    const mail = await eventually(() => {
      const m = mailsTo(u.email).find((x) => x.subject.includes('is confirmed'));
      expect(m).toBeDefined();
      return m as NonNullable<typeof m>;
    }, WAIT);
    const number = `#${data.orderId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
    expect(mail.subject).toBe(`Your order ${number} is confirmed`);
    expect(mail.text).toContain('2 x Espresso cup @ $12.50 = $25.00');
    expect(mail.text).toContain('1 x Milk jug <steel> @ $19.99 = $19.99');
    expect(mail.text).toContain('Order total: $44.99');
    expect(mail.text).toContain(`https://shop.example/orders/${data.orderId}`);
    expect(mail.html).toContain('Milk jug &lt;steel&gt;');
    expect(mail.html).not.toContain('<steel>');
    expect(mail.html).toContain('$44.99');
    expect(mail.html).toContain(`href="https://shop.example/orders/${data.orderId}"`);
  });

  it('shipped and payment mails use the order read model for lines the event does not carry', async () => {
    const u = await registered();
    const order = confirmedOrder(u.id);
    await b.publish('order.created', order);
    await b.publish('payment.failed', {
      orderId: order.orderId,
      paymentId: randomUUID(),
      amount: money(4499),
      reason: 'card declined',
    });
    const failed = await eventually(() => {
      const m = mailsTo(u.email).find((x) => x.subject.startsWith('Payment failed'));
      expect(m).toBeDefined();
      return m as NonNullable<typeof m>;
    }, WAIT);
    expect(failed.text).toContain('Your payment of $44.99');
    expect(failed.text).toContain('card declined');
    expect(failed.text).toContain('2 x Espresso cup');

    await b.publish('order.shipped', {
      orderId: order.orderId,
      userId: u.id,
      carrier: 'DHL',
      trackingNumber: 'JD0146',
    });
    const shipped = await eventually(() => {
      const m = mailsTo(u.email).find((x) => x.subject.includes('has shipped'));
      expect(m).toBeDefined();
      return m as NonNullable<typeof m>;
    }, WAIT);
    expect(shipped.text).toContain('on its way with DHL');
    expect(shipped.text).toContain('Tracking number: JD0146');
    expect(shipped.text).toContain('1 x Milk jug <steel>');
  });

  it('a redelivered event sends one mail and stores one notice', async () => {
    const u = await registered();
    const event = await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    await eventually(async () => expect((await deliveries(event.id))[0]?.status).toBe('sent'), WAIT);
    await b.republish(event);
    await b.republish(event);
    // both copies were consumed and skipped by the inbox
    await eventually(async () => {
      const metrics = (await svc.app.inject('/metrics')).body;
      expect(metrics).toMatch(
        /events_consumed_total\{queue="notifications_queue",type="order\.delivered",outcome="skipped",service="notification"\} 2/,
      );
    }, WAIT);
    await svc.dispatcher?.flush();
    expect(mailsTo(u.email).filter((m) => m.subject.includes('was delivered'))).toHaveLength(1);
    const list = await svc.app.inject({ url: '/api/notifications', headers: await asUser(u.id, u.email) });
    expect(list.json().items.filter((n: { type: string }) => n.type === 'order.delivered')).toHaveLength(1);
  });
});

describe('preferences', () => {
  it('email off: the notice is stored in-app, no mail is queued; the password reset mail still goes', async () => {
    const u = await registered();
    const headers = await asUser(u.id, u.email);
    const put = await svc.app.inject({
      method: 'PUT',
      url: '/api/notifications/preferences',
      headers,
      payload: { email: false },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ email: false, inApp: true, sms: false });

    const event = await b.publish('order.shipped', { orderId: randomUUID(), userId: u.id });
    await eventually(async () => {
      const list = await svc.app.inject({ url: '/api/notifications', headers });
      expect(list.json().items.some((n: { type: string }) => n.type === 'order.shipped')).toBe(true);
    }, WAIT);
    expect(await deliveries(event.id)).toEqual([]);

    await b.publish('user.password_reset_requested', {
      userId: u.id,
      email: u.email,
      name: 'Ada',
      resetUrl: 'https://shop.example/reset?token=t',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await eventually(() => expect(mailsTo(u.email).some((m) => m.subject.startsWith('Reset'))).toBe(true), WAIT);
  });

  it('in-app off: the mail goes, no notice is stored', async () => {
    const u = await registered();
    const headers = await asUser(u.id, u.email);
    const put = await svc.app.inject({
      method: 'PUT',
      url: '/api/notifications/preferences',
      headers,
      payload: { inApp: false },
    });
    expect(put.json()).toMatchObject({ inApp: false, email: true });
    const before = mailsTo(u.email).length;
    const event = await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    await eventually(() => expect(mailsTo(u.email).length).toBe(before + 1), WAIT);
    const [row] = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notices WHERE event_id = $1', [
      event.id,
    ]);
    expect(row?.n).toBe(0);
  });

  it('a user the events never introduced gets mail once a token of theirs names the address', async () => {
    const id = randomUUID();
    const address = `legacy-${id.slice(0, 8)}@example.com`;
    // nowhere to send it yet: the notice is stored in-app and the inbox says why no mail went
    const before = await b.publish('order.delivered', { orderId: randomUUID(), userId: id });
    const outcome = await eventually(async () => {
      const [row] = await svc.db.query<{ outcome: string }>('SELECT outcome FROM inbox WHERE event_id = $1', [
        before.id,
      ]);
      expect(row).toBeDefined();
      return row?.outcome;
    }, WAIT);
    expect(outcome).toBe('handled: in-app; unreachable: email: no address known');
    expect(await deliveries(before.id)).toEqual([]);
    // any authenticated call teaches the service the address
    expect((await svc.app.inject({ url: '/api/notifications', headers: await asUser(id, address) })).statusCode).toBe(
      200,
    );
    await b.publish('order.confirmed', confirmedOrder(id));
    const mail = await mailTo(address);
    expect(mail.text).toContain('Hi there,');
  });
});

describe('SMTP server down', () => {
  it('a failed send is retried with backoff and goes out once the server is back; other events are not held up', async () => {
    const u = await registered();
    await smtp.stop();
    const event = await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    // the in-app notice does not wait for the mail
    await eventually(async () => {
      const list = await svc.app.inject({ url: '/api/notifications', headers: await asUser(u.id, u.email) });
      expect(list.json().items.some((n: { type: string }) => n.type === 'order.delivered')).toBe(true);
    }, WAIT);
    // two sends failed and the row waits for its next try: `attempts` counts a claim, so 2 with the row still
    // `sending` is a second try in flight, which would go out once the server is back (sent at the 2nd attempt)
    const retrying = await eventually(async () => {
      const [d] = await deliveries(event.id);
      expect(d?.status).toBe('pending');
      expect(d?.attempts).toBeGreaterThanOrEqual(2);
      return d as NonNullable<typeof d>;
    }, WAIT);
    expect(retrying.lastError).toMatch(/ECONNREFUSED|ECONNECTION|connect/i);

    await smtp.start();
    await eventually(async () => expect((await deliveries(event.id))[0]?.status).toBe('sent'), WAIT);
    const [sent] = await deliveries(event.id);
    expect(sent?.attempts).toBeGreaterThanOrEqual(3);
    expect(mailsTo(u.email).filter((m) => m.subject.includes('was delivered'))).toHaveLength(1);
  });

  it('after the last attempt it is recorded as failed for admins, and an admin can send it again', async () => {
    const u = await registered();
    await smtp.stop();
    const event = await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    const failed = await eventually(async () => {
      const [d] = await deliveries(event.id);
      expect(d?.status).toBe('failed');
      return d as NonNullable<typeof d>;
    }, WAIT);
    expect(failed.attempts).toBe(4);

    const admin = { authorization: `Bearer ${await b.jwks.sign({ sub: randomUUID(), role: 'admin' })}` };
    const list = await svc.app.inject({ url: '/api/notifications/admin/failures?channel=email', headers: admin });
    expect(list.statusCode).toBe(200);
    const item = list.json().items.find((f: { id: string }) => f.id === failed.id);
    expect(item).toMatchObject({
      eventId: event.id,
      eventType: 'order.delivered',
      channel: 'email',
      recipient: u.email,
      status: 'failed',
      attempts: 4,
    });
    expect(item.lastError).toMatch(/ECONNREFUSED|ECONNECTION|connect/i);
    const customer = await svc.app.inject({
      url: '/api/notifications/admin/failures',
      headers: await asUser(u.id, u.email),
    });
    expect(customer.statusCode).toBe(403);

    await smtp.start();
    const retry = await svc.app.inject({
      method: 'POST',
      url: `/api/notifications/admin/failures/${failed.id}/retry`,
      headers: admin,
    });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toMatchObject({ status: 'pending', attempts: 0 });
    await eventually(async () => expect((await deliveries(event.id))[0]?.status).toBe('sent'), WAIT);
    expect(mailsTo(u.email).filter((m) => m.subject.includes('was delivered'))).toHaveLength(1);
    const again = await svc.app.inject({
      method: 'POST',
      url: `/api/notifications/admin/failures/${failed.id}/retry`,
      headers: admin,
    });
    expect(again.statusCode).toBe(409);
  });
});
