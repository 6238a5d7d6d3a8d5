// In-app notices, preferences, SMS through a Twilio-compatible server, and the embedded mailbox (in-memory bus, file mail).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { encodeCursor } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailChannel } from '../src/adapters/email.js';
import { deliveryStore } from '../src/store/deliveries.js';
import {
  confirmedOrder,
  money,
  type NotificationHarness,
  type Service,
  startNotificationHarness,
  user,
} from './harness.js';

const WAIT = 10_000;

interface SmsRequest {
  url: string;
  authorization: string | undefined;
  form: URLSearchParams;
}

/** Answers like Twilio's Messages API: 201 with a SID, or 400 for the number +15005550001 (Twilio's "invalid" test number). */
async function startTwilio() {
  const seen: SmsRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, form });
      res.setHeader('content-type', 'application/json');
      if (form.get('To') === '+15005550001') {
        res.statusCode = 400;
        res.end(JSON.stringify({ code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }));
        return;
      }
      res.statusCode = 201;
      res.end(JSON.stringify({ sid: `SM${randomUUID().replace(/-/g, '')}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let b: NotificationHarness;
let svc: Service;
let twilio: Awaited<ReturnType<typeof startTwilio>>;

beforeAll(async () => {
  twilio = await startTwilio();
  b = await startNotificationHarness('notices', {
    env: {
      // the dev mailbox is part of the try-it-out extras
      DEMO_DATA: 'true',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC0123456789',
      TWILIO_AUTH_TOKEN: 'twilio-secret',
      SMS_FROM: '+15550001111',
      TWILIO_API_URL: twilio.url,
    },
  });
  svc = b.main;
});

afterAll(async () => {
  await b?.close();
  await twilio?.close();
});

async function auth(u: { id: string; email: string }, role = 'customer') {
  return { authorization: `Bearer ${await b.jwks.sign({ sub: u.id, email: u.email, role })}` };
}

async function feed(u: { id: string; email: string }, query = '') {
  const res = await svc.app.inject({ url: `/api/notifications${query}`, headers: await auth(u) });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    items: { id: string; type: string; title: string; read: boolean }[];
    nextCursor: string | null;
  };
}

/** `count` delivered orders for a user, each one notice; waits until all are stored. */
async function deliveredOrders(u: { id: string; email: string }, count: number) {
  const before = (await feed(u, '?limit=100')).items.length;
  for (let i = 0; i < count; i++) await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
  await eventually(async () => expect((await feed(u, '?limit=100')).items.length).toBe(before + count), WAIT);
}

describe('in-app notices', () => {
  it('lists my notices in cursor pages (newest first, none twice, none missed), with the shape of the contract', async () => {
    const u = user();
    await deliveredOrders(u, 25);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await feed(u, `?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((n) => n.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
    const first = (await feed(u, '?limit=1')).items[0] as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['body', 'createdAt', 'data', 'id', 'read', 'title', 'type']);
    expect(first).toMatchObject({ type: 'order.delivered', read: false, data: { url: expect.any(String) } });
    // and the unread filter sees all of them
    expect((await feed(u, '?limit=100&unread=true')).items).toHaveLength(25);
  });

  it('marks read and unread, counts unread, marks all read', async () => {
    const u = user();
    await deliveredOrders(u, 3);
    const headers = await auth(u);
    const count = async () =>
      (await svc.app.inject({ url: '/api/notifications/unread-count', headers })).json().count as number;
    expect(await count()).toBe(3);
    const [a] = (await feed(u)).items;
    const read = await svc.app.inject({
      method: 'PATCH',
      url: `/api/notifications/${a?.id}`,
      headers,
      payload: { read: true },
    });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: a?.id, read: true });
    expect(await count()).toBe(2);
    expect((await feed(u, '?unread=true')).items.map((n) => n.id)).not.toContain(a?.id);
    await svc.app.inject({ method: 'PATCH', url: `/api/notifications/${a?.id}`, headers, payload: { read: false } });
    expect(await count()).toBe(3);
    const all = await svc.app.inject({ method: 'POST', url: '/api/notifications/read-all', headers });
    expect(all.json()).toEqual({ updated: 3 });
    expect(await count()).toBe(0);
    const one = await svc.app.inject({ url: `/api/notifications/${a?.id}`, headers });
    expect(one.json()).toMatchObject({ id: a?.id, read: true });
  });

  it('another user cannot read or change my notices: 404, and they are not in their list', async () => {
    const me = user();
    const other = user();
    await deliveredOrders(me, 1);
    const [mine] = (await feed(me)).items;
    const theirs = await auth(other);
    const read = await svc.app.inject({ url: `/api/notifications/${mine?.id}`, headers: theirs });
    expect(read.statusCode).toBe(404);
    expect(read.json().error).toMatchObject({ code: 'NOT_FOUND', message: 'Notification not found' });
    const patch = await svc.app.inject({
      method: 'PATCH',
      url: `/api/notifications/${mine?.id}`,
      headers: theirs,
      payload: { read: true },
    });
    expect(patch.statusCode).toBe(404);
    expect((await feed(other)).items).toEqual([]);
    // not even an admin reads someone's notices through this API
    const admin = await svc.app.inject({ url: `/api/notifications/${mine?.id}`, headers: await auth(other, 'admin') });
    expect(admin.statusCode).toBe(404);
    expect((await feed(me)).items[0]).toMatchObject({ id: mine?.id, read: false });
  });

  it('answers 401 without a valid token and 400 for bad input', async () => {
    expect((await svc.app.inject({ url: '/api/notifications' })).statusCode).toBe(401);
    const bad = await svc.app.inject({ url: '/api/notifications', headers: { authorization: 'Bearer nope' } });
    expect(bad.statusCode).toBe(401);
    const headers = await auth(user());
    for (const url of [
      '/api/notifications?limit=0',
      '/api/notifications?limit=101',
      '/api/notifications?cursor=garbage',
      '/api/notifications/not-a-uuid',
    ]) {
      expect((await svc.app.inject({ url, headers })).statusCode, url).toBe(400);
    }
    const unknownField = await svc.app.inject({
      method: 'PATCH',
      url: `/api/notifications/${randomUUID()}`,
      headers,
      payload: { read: true, title: 'x' },
    });
    expect(unknownField.statusCode).toBe(400);
  });

  it('answers 400 (not 500) for cursors that decode but cannot be a position in the list', async () => {
    const headers = await auth(user());
    for (const values of [[1.5], [1e300], [0], [-3], [Number.MAX_SAFE_INTEGER + 2]]) {
      const res = await svc.app.inject({ url: `/api/notifications?cursor=${encodeCursor(values)}`, headers });
      expect(res.statusCode, JSON.stringify(values)).toBe(400);
      expect(res.json().error.details).toEqual([{ path: 'querystring/cursor', message: 'unreadable cursor' }]);
    }
    expect((await svc.app.inject({ url: `/api/notifications?cursor=${encodeCursor([12])}`, headers })).statusCode).toBe(
      200,
    );

    const admin = await auth(user(), 'admin');
    const id = randomUUID();
    for (const failedAt of [
      '+275760-09-13T00:00:00.000Z',
      '275760-09-13T00:00:00Z',
      '2024-02-30T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      'Tue, 05 Mar 2024 10:00:00 GMT',
      '2024-03-05',
    ]) {
      const url = `/api/notifications/admin/failures?cursor=${encodeCursor([failedAt, id])}`;
      const res = await svc.app.inject({ url, headers: admin });
      expect(res.statusCode, failedAt).toBe(400);
      expect(res.json().error.details).toEqual([{ path: 'querystring/cursor', message: 'unreadable cursor' }]);
    }
    const fine = `/api/notifications/admin/failures?cursor=${encodeCursor(['2024-03-05T10:00:00.123Z', id])}`;
    expect((await svc.app.inject({ url: fine, headers: admin })).statusCode).toBe(200);
  });

  it('pages failed deliveries of the same millisecond one by one, none skipped', async () => {
    const admin = await auth(user(), 'admin');
    const ids: string[] = [];
    // three failures within one millisecond, as now() records them (microseconds)
    for (const micros of [456, 789, 999]) {
      const [row] = await svc.db.query<{ id: string }>(
        `INSERT INTO deliveries (event_id, event_type, channel, recipient, status, failed_at, last_error)
         VALUES ($1, 'order.confirmed', 'sms', '+15550000000', 'failed',
                 timestamptz '2001-01-01 00:00:00.123+00' + $2::int * interval '1 microsecond', 'gone')
         RETURNING id`,
        [randomUUID(), micros],
      );
      ids.push(row!.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `channel=sms&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await svc.app.inject({ url: `/api/notifications/admin/failures?${query}`, headers: admin })).json();
      seen.push(...page.items.map((f: { id: string }) => f.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  });

  it('a payment event for an order not seen yet is retried until order.created arrives', async () => {
    const u = user();
    const order = confirmedOrder(u.id);
    await b.publish('payment.failed', {
      orderId: order.orderId,
      paymentId: randomUUID(),
      amount: money(4499),
      reason: 'insufficient funds',
    });
    await eventually(async () => {
      const metrics = (await svc.app.inject('/metrics')).body;
      expect(metrics).toMatch(/events_retried_total\{queue="notifications_queue",type="payment\.failed"/);
    }, WAIT);
    await b.publish('order.created', order);
    await eventually(async () => {
      const [n] = (await feed(u)).items;
      expect(n).toMatchObject({ type: 'payment.failed' });
      expect(n?.title).toMatch(/^Payment failed for order #/);
    }, WAIT);
  });
});

it('documents every route in /openapi.json (the gateway merges it into /docs)', async () => {
  const res = await svc.app.inject('/openapi.json');
  expect(res.statusCode).toBe(200);
  expect(Object.keys(res.json().paths).sort()).toEqual([
    '/api/notifications',
    '/api/notifications/admin/failures',
    '/api/notifications/admin/failures/{id}/retry',
    '/api/notifications/dev/mail',
    '/api/notifications/dev/mail/{id}',
    '/api/notifications/preferences',
    '/api/notifications/preferences/phone/code',
    '/api/notifications/preferences/phone/verify',
    '/api/notifications/read-all',
    '/api/notifications/stream',
    '/api/notifications/tickets',
    '/api/notifications/unread-count',
    '/api/notifications/{id}',
  ]);
});

describe('preferences', () => {
  it('starts from the defaults and keeps what is changed; SMS needs an E.164 number', async () => {
    const u = user();
    const headers = await auth(u);
    const initial = await svc.app.inject({ url: '/api/notifications/preferences', headers });
    expect(initial.json()).toEqual({
      email: true,
      sms: false,
      inApp: true,
      phone: null,
      phoneVerified: false,
      updatedAt: null,
    });

    const put = (payload: unknown) =>
      svc.app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers, payload: payload as object });
    const noPhone = await put({ sms: true });
    expect(noPhone.statusCode).toBe(400);
    expect(noPhone.json().error.details[0]).toMatchObject({ path: 'body/phone' });
    expect((await put({ phone: '12345' })).statusCode).toBe(400);
    expect((await put({})).statusCode).toBe(400);
    expect((await put({ sms: true, push: true })).statusCode).toBe(400);

    const ok = await put({ sms: true, phone: '+1 (415) 555-0123' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ email: true, sms: true, inApp: true, phone: '+14155550123' });
    expect(ok.json().updatedAt).toEqual(expect.any(String));
    const later = await put({ email: false });
    expect(later.json()).toMatchObject({ email: false, sms: true, phone: '+14155550123' });
    expect((await svc.app.inject({ url: '/api/notifications/preferences', headers })).json()).toEqual(later.json());
    // someone else still has the defaults
    const other = await svc.app.inject({ url: '/api/notifications/preferences', headers: await auth(user()) });
    expect(other.json().email).toBe(true);
  });

  it('keeps every one of concurrent first changes to different fields', async () => {
    for (let round = 0; round < 5; round++) {
      const u = user();
      const headers = await auth(u);
      const put = (payload: object) =>
        svc.app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers, payload });
      const results = await Promise.all([put({ email: false }), put({ inApp: false }), put({ phone: '+14155550123' })]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const now = await svc.app.inject({ url: '/api/notifications/preferences', headers });
      expect(now.json()).toMatchObject({ email: false, sms: false, inApp: false, phone: '+14155550123' });
    }
  });
});

/** The code the Twilio stand-in was asked to text to `phone` last. */
async function codeSentTo(phone: string, after = 0): Promise<string> {
  return eventually(() => {
    const found = twilio.seen
      .slice(after)
      .findLast((r) => r.form.get('To') === phone && /code is/.test(r.form.get('Body') ?? ''));
    expect(found).toBeDefined();
    return /\b(\d{6})\b/.exec(found?.form.get('Body') ?? '')?.[1] as string;
  }, WAIT);
}

async function putPrefs(headers: Record<string, string>, payload: object) {
  return svc.app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers, payload });
}

const askCode = (headers: Record<string, string>) =>
  svc.app.inject({ method: 'POST', url: '/api/notifications/preferences/phone/code', headers });
const verify = (headers: Record<string, string>, code: string) =>
  svc.app.inject({ method: 'POST', url: '/api/notifications/preferences/phone/verify', headers, payload: { code } });

/** SMS on for `phone`, proved with the code the stand-in received. */
async function verifiedPhone(headers: Record<string, string>, phone: string) {
  expect((await putPrefs(headers, { sms: true, phone })).json().phoneVerified).toBe(false);
  const before = twilio.seen.length;
  expect((await askCode(headers)).statusCode).toBe(202);
  const res = await verify(headers, await codeSentTo(phone, before));
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ sms: true, phone, phoneVerified: true });
}

describe('SMS', () => {
  it('goes through the Twilio-compatible API to the verified number in the preferences', async () => {
    const u = user();
    await verifiedPhone(await auth(u), '+14155550123');
    const orderId = randomUUID();
    const event = await b.publish('order.shipped', { orderId, userId: u.id, carrier: 'UPS', trackingNumber: '1Z999' });
    const sms = await eventually(() => {
      const found = twilio.seen.find((r) => r.form.get('Body')?.includes(orderId.slice(0, 8).toUpperCase()));
      expect(found).toBeDefined();
      return found as SmsRequest;
    }, WAIT);
    expect(sms.url).toBe('/2010-04-01/Accounts/AC0123456789/Messages.json');
    expect(sms.authorization).toBe(`Basic ${Buffer.from('AC0123456789:twilio-secret').toString('base64')}`);
    expect(sms.form.get('To')).toBe('+14155550123');
    expect(sms.form.get('From')).toBe('+15550001111');
    expect(sms.form.get('Body')).toContain('has shipped with UPS, tracking 1Z999');
    await eventually(async () => {
      const rows = await deliveryStore(svc.db).forEvent(event.id);
      expect(rows.find((r) => r.channel === 'sms')?.status).toBe('sent');
    }, WAIT);
  });

  it('sends nothing to a number that was not verified, and a new number needs a new code', async () => {
    const u = user();
    const headers = await auth(u);
    const phone = '+14155550177';
    await putPrefs(headers, { sms: true, phone });
    const first = await b.publish('order.delivered', { orderId: randomUUID(), userId: u.id });
    // the event was handled (its in-app notice exists) without an SMS
    await eventually(
      async () => expect((await feed(u)).items.some((n) => n.type === 'order.delivered')).toBe(true),
      WAIT,
    );
    expect((await deliveryStore(svc.db).forEvent(first.id)).filter((r) => r.channel === 'sms')).toEqual([]);
    expect(twilio.seen.some((r) => r.form.get('To') === phone)).toBe(false);

    // verified, then changed to another number: unverified again
    await verifiedPhone(headers, phone);
    const changed = await putPrefs(headers, { phone: '+14155550178' });
    expect(changed.json()).toMatchObject({ phone: '+14155550178', phoneVerified: false });
    // setting the same verified number back does not count as verified either
    expect((await putPrefs(headers, { phone })).json().phoneVerified).toBe(false);
  });

  it('a code proves only the number it was sent to, and only a few wrong tries are allowed', async () => {
    const u = user();
    const headers = await auth(u);
    const phone = '+14155550188';
    await putPrefs(headers, { phone });
    const before = twilio.seen.length;
    const asked = await askCode(headers);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toMatchObject({ phone, expiresAt: expect.any(String) });
    const code = await codeSentTo(phone, before);
    // the number changed after the code was sent: the code does not verify the new one
    await putPrefs(headers, { phone: '+14155550189' });
    expect((await verify(headers, code)).json().error.code).toBe('INVALID_CODE');

    await putPrefs(headers, { phone });
    const again = twilio.seen.length;
    expect((await askCode(headers)).statusCode).toBe(202);
    const fresh = await codeSentTo(phone, again);
    const wrong = fresh === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) expect((await verify(headers, wrong)).statusCode).toBe(400);
    // five wrong tries void the code: even the right one is refused now
    expect((await verify(headers, fresh)).json().error.code).toBe('INVALID_CODE');
    expect((await svc.app.inject({ url: '/api/notifications/preferences', headers })).json().phoneVerified).toBe(false);
    // no number, no code; a malformed code is a 400 from the schema
    const other = await auth(user());
    expect((await askCode(other)).json().error.code).toBe('NO_PHONE');
    expect((await verify(other, '12ab56')).statusCode).toBe(400);
  });

  it('a number the provider rejects (400) fails at once, without retries', async () => {
    const u = user();
    const headers = await auth(u);
    await putPrefs(headers, { sms: true, phone: '+15005550001' });
    expect((await askCode(headers)).statusCode).toBe(202);
    const failed = await eventually(async () => {
      const [row] = await svc.db.query<{
        status: string;
        attempts: number;
        lastError: string;
        bodyText: string | null;
      }>(
        `SELECT status, attempts, last_error AS "lastError", body_text AS "bodyText" FROM deliveries
          WHERE user_id = $1 AND channel = 'sms'`,
        [u.id],
      );
      expect(row?.status).toBe('failed');
      return row as NonNullable<typeof row>;
    }, WAIT);
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toContain('code 21211');
    // the code itself does not stay in the queue once the row is final
    expect(failed.bodyText).toBeNull();
  });
});

describe('SMS caps', () => {
  let capped: Service;
  beforeAll(async () => {
    capped = await b.instance({
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC0123456789',
        TWILIO_AUTH_TOKEN: 'twilio-secret',
        SMS_FROM: '+15550001111',
        TWILIO_API_URL: twilio.url,
        SMS_PER_USER_PER_DAY: '3',
        SMS_CODES_PER_NUMBER_PER_DAY: '2',
      },
      // the main service consumes the events; this one answers requests with its own limits
      workers: false,
    });
  });

  const post = (headers: Record<string, string>, url: string) => capped.app.inject({ method: 'POST', url, headers });

  it('a user gets at most SMS_PER_USER_PER_DAY text messages, codes included', async () => {
    const u = user();
    const headers = await auth(u);
    await capped.app.inject({
      method: 'PUT',
      url: '/api/notifications/preferences',
      headers,
      payload: { sms: true, phone: '+14155550190' },
    });
    // two codes and the SMS of one event: three, the cap; then neither codes nor event SMS
    await svc.db.query(
      `INSERT INTO deliveries (event_id, event_type, user_id, channel, recipient, body_text, status)
       VALUES ($1, 'order.shipped', $2, 'sms', '+14155550190', 'shipped', 'sent')`,
      [randomUUID(), u.id],
    );
    expect((await post(headers, '/api/notifications/preferences/phone/code')).statusCode).toBe(202);
    await capped.app.inject({
      method: 'PUT',
      url: '/api/notifications/preferences',
      headers,
      payload: { phone: '+14155550191' },
    });
    expect((await post(headers, '/api/notifications/preferences/phone/code')).statusCode).toBe(202);
    await capped.app.inject({
      method: 'PUT',
      url: '/api/notifications/preferences',
      headers,
      payload: { phone: '+14155550192' },
    });
    const refused = await post(headers, '/api/notifications/preferences/phone/code');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('SMS_LIMIT');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a number gets at most SMS_CODES_PER_NUMBER_PER_DAY codes, whoever asks', async () => {
    const phone = '+14155550195';
    const askers = await Promise.all([user(), user(), user()].map((u) => auth(u)));
    for (const headers of askers) {
      await capped.app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers, payload: { phone } });
    }
    expect((await post(askers[0]!, '/api/notifications/preferences/phone/code')).statusCode).toBe(202);
    expect((await post(askers[1]!, '/api/notifications/preferences/phone/code')).statusCode).toBe(202);
    expect((await post(askers[2]!, '/api/notifications/preferences/phone/code')).statusCode).toBe(429);
  });
});

describe('embedded mailbox (no SMTP_URL)', () => {
  it('writes .eml files and lists them at /api/notifications/dev/mail: mine to me, all to an admin', async () => {
    const u = user();
    await b.publish('user.registered', { userId: u.id, email: u.email, name: 'Mallory <b>' });
    const list = await eventually(async () => {
      const res = await svc.app.inject({ url: '/api/notifications/dev/mail', headers: await auth(u) });
      expect(res.statusCode).toBe(200);
      expect(res.json().items).toHaveLength(1);
      return res.json().items as { id: string; to: string; subject: string }[];
    }, WAIT);
    expect(list[0]).toMatchObject({ to: u.email, subject: 'Welcome to microBazaar' });
    expect(list[0]?.id).toMatch(/\.eml$/);

    const raw = await svc.app.inject({ url: `/api/notifications/dev/mail/${list[0]?.id}`, headers: await auth(u) });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toContain('message/rfc822');
    expect(raw.body).toContain(`To: ${u.email}`);
    expect(raw.body).toContain('Mallory &lt;b&gt;');

    const stranger = user();
    const theirs = await svc.app.inject({ url: '/api/notifications/dev/mail', headers: await auth(stranger) });
    expect(theirs.json().items).toEqual([]);
    const peek = await svc.app.inject({
      url: `/api/notifications/dev/mail/${list[0]?.id}`,
      headers: await auth(stranger),
    });
    expect(peek.statusCode).toBe(404);
    const admin = await svc.app.inject({
      url: '/api/notifications/dev/mail?limit=100',
      headers: await auth(stranger, 'admin'),
    });
    expect(admin.json().items.map((m: { id: string }) => m.id)).toContain(list[0]?.id);
    const traversal = await svc.app.inject({
      url: '/api/notifications/dev/mail/..%2F..%2Fetc%2Fpasswd.eml',
      headers: await auth(stranger, 'admin'),
    });
    expect(traversal.statusCode).toBe(400);
  });

  it('is not served without demo data (a service started on its own)', async () => {
    const plain = await b.instance({ workers: false });
    try {
      const admin = await auth(user(), 'admin');
      expect((await plain.app.inject({ url: '/api/notifications/dev/mail', headers: admin })).statusCode).toBe(404);
      const paths = Object.keys((await plain.app.inject('/openapi.json')).json().paths);
      expect(paths).not.toContain('/api/notifications/dev/mail');
    } finally {
      await plain.close();
    }
  });

  it('is not served in production, even with a mail channel writing files', async () => {
    const email = createEmailChannel({
      mailDir: join(b.dataDir, 'prod-mail'),
      from: 'shop <no-reply@shop.example>',
    });
    const prod = await b.instance({
      workers: false,
      // loadConfig refuses production without SMTP_URL: only an injected channel can still write files
      env: { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:1' },
      email,
    });
    try {
      const admin = await auth(user(), 'admin');
      expect((await prod.app.inject({ url: '/api/notifications/dev/mail', headers: admin })).statusCode).toBe(404);
      const paths = Object.keys((await prod.app.inject('/openapi.json')).json().paths);
      expect(paths).not.toContain('/api/notifications/dev/mail');
      expect(paths).toContain('/api/notifications');
    } finally {
      await prod.close();
      await email.close();
    }
  });
});
