// The Stripe adapter through the official client against a loopback server that answers like Stripe's API
// (PaymentIntents, refunds, idempotent replays, card errors, 5xx, answers that never come), and signed
// webhooks, inside the real saga.
import { randomBytes } from 'node:crypto';
import { eventually, recordingServer } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStripeWebhook } from '../src/adapters/stripe.js';
import { paymentStore } from '../src/store/payments.js';
import { LATE_CAPTURE_REASON } from '../src/usecases/decisions.js';
import { type PaymentHarness, startPaymentHarness } from './harness.js';

const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const WAIT = 15_000;

interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  params: URLSearchParams;
}

/**
 * Stripe's API as far as this adapter uses it. Payment methods pick the behaviour: pm_card_* captures,
 * pm_card_chargeDeclinedInsufficientFunds declines, pm_unknown is refused, pm_flaky answers 500 once per key,
 * pm_async stays processing (tests move it on through `intents`), pm_hang captures but never answers the
 * first request of a key (a replay with the key gets the capture).
 */
async function fakeStripe() {
  const seen: SeenRequest[] = [];
  const replays = new Map<string, { status: number; body: unknown }>();
  const intents = new Map<string, Record<string, unknown>>();
  const failuresLeft = new Map<string, number>();
  let n = 0;
  const http = await recordingServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const params = new URLSearchParams(raw);
      const key = req.headers['idempotency-key'] as string | undefined;
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        idempotencyKey: key,
        authorization: req.headers.authorization,
        params,
      });
      const send = (status: number, body: unknown, remember = true) => {
        if (key && remember) replays.set(`${req.url} ${key}`, { status, body });
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++n}` });
        res.end(JSON.stringify(body));
      };
      const replay = key ? replays.get(`${req.url} ${key}`) : undefined;
      if (replay) {
        res.writeHead(replay.status, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
        res.end(JSON.stringify(replay.body));
        return;
      }
      const retrieve = /^\/v1\/payment_intents\/([^/?]+)$/.exec(req.url ?? '');
      if (retrieve && req.method === 'GET') {
        const intent = intents.get(retrieve[1] as string);
        if (intent) return send(200, intent);
        return send(404, {
          error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' },
        });
      }
      if (req.url === '/v1/payment_intents' && req.method === 'POST') {
        const method = params.get('payment_method') ?? '';
        const id = `pi_${randomBytes(8).toString('hex')}`;
        const intent = {
          id,
          object: 'payment_intent',
          amount: Number(params.get('amount')),
          currency: params.get('currency'),
          metadata: { orderId: params.get('metadata[orderId]') },
          payment_method: method,
          status: 'succeeded',
          last_payment_error: null,
        };
        if (method === 'pm_flaky' && key) {
          const left = failuresLeft.get(key) ?? 1;
          if (left > 0) {
            failuresLeft.set(key, left - 1);
            // Stripe does not store idempotent results of its own 500s
            return send(500, { error: { type: 'api_error', message: 'An unknown error occurred' } }, false);
          }
        }
        if (method === 'pm_card_chargeDeclinedInsufficientFunds') {
          const declined = { ...intent, status: 'requires_payment_method' };
          intents.set(id, declined);
          return send(402, {
            error: {
              type: 'card_error',
              code: 'card_declined',
              decline_code: 'insufficient_funds',
              message: 'Your card has insufficient funds.',
              payment_intent: declined,
            },
          });
        }
        if (method === 'pm_unknown') {
          return send(400, {
            error: {
              type: 'invalid_request_error',
              code: 'resource_missing',
              message: "No such PaymentMethod: 'pm_unknown'",
            },
          });
        }
        const created = { ...intent, status: method === 'pm_async' ? 'processing' : 'succeeded' };
        intents.set(id, created);
        if (method === 'pm_hang') {
          // captured and stored for replays, but this answer never leaves
          if (key) replays.set(`${req.url} ${key}`, { status: 200, body: created });
          return;
        }
        return send(200, created);
      }
      if (req.url === '/v1/refunds' && req.method === 'POST') {
        const intent = intents.get(params.get('payment_intent') ?? '');
        if (!intent)
          return send(404, {
            error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' },
          });
        return send(200, {
          id: `re_${randomBytes(8).toString('hex')}`,
          object: 'refund',
          amount: Number(params.get('amount')),
          payment_intent: intent.id,
          status: 'succeeded',
        });
      }
      send(
        404,
        { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.url})` } },
        false,
      );
    });
  });
  return { ...http, seen, intents };
}

let stripe: Awaited<ReturnType<typeof fakeStripe>>;
let h: PaymentHarness;

beforeAll(async () => {
  stripe = await fakeStripe();
  h = await startPaymentHarness('stripe', {
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_microbazaar',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: stripe.url,
    PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
  });
});
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

const intentRequests = (orderId: string) =>
  stripe.seen.filter((r) => r.path === '/v1/payment_intents' && r.params.get('metadata[orderId]') === orderId);

function webhook(payload: object, signature?: string) {
  const body = JSON.stringify(payload);
  return h.app.inject({
    method: 'POST',
    url: '/api/payments/webhooks/stripe',
    headers: {
      'content-type': 'application/json',
      ...(signature !== undefined
        ? { 'stripe-signature': signature }
        : { 'stripe-signature': signStripeWebhook(body, WEBHOOK_SECRET) }),
    },
    payload: body,
  });
}

function stripeEvent(type: string, object: object) {
  return {
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type,
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    data: { object },
  };
}

describe('Stripe PaymentIntents', () => {
  it('confirms one PaymentIntent per order with the order id as idempotency key', async () => {
    const { orderId } = await h.order({ token: 'pm_card_visa', amount: 12_345 });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    const [request] = intentRequests(orderId);
    expect(intentRequests(orderId)).toHaveLength(1);
    expect(request?.idempotencyKey).toBe(orderId);
    expect(request?.authorization).toBe('Bearer sk_test_microbazaar');
    expect(Object.fromEntries(request?.params ?? [])).toMatchObject({
      amount: '12345',
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'automatic_payment_methods[enabled]': 'true',
      'automatic_payment_methods[allow_redirects]': 'never',
    });
    const p = await paymentStore(h.db).byOrder(orderId);
    expect(p).toMatchObject({ status: 'succeeded', provider: 'stripe', paymentToken: null });
    expect(p?.providerRef).toMatch(/^pi_/);
    expect(h.eventsFor(orderId, 'payment.succeeded')[0]?.data).toMatchObject({
      provider: 'stripe',
      amount: { amount: 12_345, currency: 'USD' },
    });
  });

  it('a card error is a decline: payment.failed with the decline code', async () => {
    const { orderId } = await h.order({ token: 'pm_card_chargeDeclinedInsufficientFunds' });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
    expect(h.eventsFor(orderId, 'payment.failed')[0]?.data).toMatchObject({ reason: 'insufficient_funds' });
    expect(intentRequests(orderId)).toHaveLength(1);
  });

  it('a payment method Stripe does not know is a decline, not retried', async () => {
    const { orderId } = await h.order({ token: 'pm_unknown' });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
    expect(h.eventsFor(orderId, 'payment.failed')[0]?.data).toMatchObject({ reason: 'resource_missing' });
    expect(intentRequests(orderId)).toHaveLength(1);
  });

  it('a 500 is retried with the same idempotency key and ends in one PaymentIntent', async () => {
    const { orderId } = await h.order({ token: 'pm_flaky' });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    const requests = intentRequests(orderId);
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((r) => r.idempotencyKey))).toEqual(new Set([orderId]));
    expect(
      [...stripe.intents.values()].filter((i) => (i.metadata as { orderId: string }).orderId === orderId),
    ).toHaveLength(1);
  });

  it('refunds a captured order on order.cancelled with its own idempotency key', async () => {
    const { orderId, summary } = await h.order({ token: 'pm_card_visa', amount: 990 });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    await h.emit('order.cancelled', { ...summary, reason: 'customer', previousStatus: 'confirmed' });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
    const pi = (await paymentStore(h.db).byOrder(orderId))?.providerRef;
    const refund = stripe.seen.find((r) => r.path === '/v1/refunds' && r.params.get('payment_intent') === pi);
    expect(refund?.idempotencyKey).toBe(`refund-${orderId}`);
    expect(refund?.params.get('amount')).toBe('990');
    expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('refunded');
  });
});

describe('Stripe webhooks', () => {
  it('an asynchronous payment waits in processing until the signed webhook settles it, once', async () => {
    const { orderId } = await h.order({ token: 'pm_async' });
    await eventually(async () => expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('processing'), WAIT);
    const pi = (await paymentStore(h.db).byOrder(orderId))?.providerRef as string;
    const event = stripeEvent('payment_intent.succeeded', {
      id: pi,
      object: 'payment_intent',
      status: 'succeeded',
      metadata: { orderId },
    });
    const res = await webhook(event);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, result: 'applied' });
    expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('succeeded');
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    // Stripe delivers at least once; the answer comes after the webhook's transaction, so the outbox is final
    expect((await webhook(event)).json().result).toBe('duplicate');
    expect(await h.outboxed(orderId, 'payment.succeeded')).toBe(1);
  });

  it('payment_intent.payment_failed fails a processing payment with the decline code', async () => {
    const { orderId } = await h.order({ token: 'pm_async' });
    await eventually(async () => expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('processing'), WAIT);
    const pi = (await paymentStore(h.db).byOrder(orderId))?.providerRef as string;
    const res = await webhook(
      stripeEvent('payment_intent.payment_failed', {
        id: pi,
        object: 'payment_intent',
        status: 'requires_payment_method',
        metadata: { orderId },
        last_payment_error: { code: 'card_declined', decline_code: 'do_not_honor' },
      }),
    );
    expect(res.json().result).toBe('applied');
    await eventually(() => expect(h.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
    expect(h.eventsFor(orderId, 'payment.failed')[0]?.data).toMatchObject({ reason: 'do_not_honor' });
  });

  it('refuses a payload whose signature does not verify (400) and changes nothing', async () => {
    const { orderId } = await h.order({ token: 'pm_async' });
    await eventually(async () => expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('processing'), WAIT);
    const pi = (await paymentStore(h.db).byOrder(orderId))?.providerRef as string;
    const event = stripeEvent('payment_intent.succeeded', {
      id: pi,
      object: 'payment_intent',
      status: 'succeeded',
      metadata: { orderId },
    });
    const forged = signStripeWebhook(JSON.stringify(event), 'whsec_not_the_secret');
    const wrong = await webhook(event, forged);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('INVALID_SIGNATURE');
    // signed, then tampered with
    const signature = signStripeWebhook(JSON.stringify(event), WEBHOOK_SECRET);
    const tampered = await h.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload: JSON.stringify({ ...event, type: 'payment_intent.payment_failed' }),
    });
    expect(tampered.statusCode).toBe(400);
    expect((await webhook(event, '')).statusCode).toBe(400);
    expect((await paymentStore(h.db).byOrder(orderId))?.status).toBe('processing');
    const other = await h.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/paypal',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(other.statusCode).toBe(404);
  });

  it('acknowledges events it does not act on', async () => {
    const res = await webhook(stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, result: 'ignored' });
  });
});

describe('a capture after the payment failed', () => {
  it('is refunded: payment.refunded after payment.failed, never payment.succeeded', async () => {
    const { orderId } = await h.order({ token: 'pm_card_chargeDeclinedInsufficientFunds', amount: 4321 });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
    const pi = (await paymentStore(h.db).byOrder(orderId))?.providerRef as string;
    expect(pi).toMatch(/^pi_/);
    // Stripe says after all that the PaymentIntent succeeded
    const event = stripeEvent('payment_intent.succeeded', {
      id: pi,
      object: 'payment_intent',
      status: 'succeeded',
      metadata: { orderId },
    });
    expect((await webhook(event)).json().result).toBe('applied');
    await eventually(() => expect(h.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
    expect(h.eventsFor(orderId, 'payment.refunded')[0]?.data).toMatchObject({
      amount: { amount: 4321, currency: 'USD' },
      reason: LATE_CAPTURE_REASON,
    });
    const p = await paymentStore(h.db).byOrder(orderId);
    expect(p).toMatchObject({ status: 'refunded', providerRef: pi, refundedAmount: { amount: 4321, currency: 'USD' } });
    expect(p?.chargedAt).not.toBeNull();
    const refunds = stripe.seen.filter((r) => r.path === '/v1/refunds' && r.params.get('payment_intent') === pi);
    expect(refunds.map((r) => r.idempotencyKey)).toEqual([`refund-${orderId}`]);
    // the same news again, redelivered or under another event id, refunds nothing more
    expect((await webhook(event)).json().result).toBe('duplicate');
    expect((await webhook({ ...event, id: `evt_${randomBytes(8).toString('hex')}` })).json().result).toBe('applied');
    expect(await h.outboxed(orderId, 'payment.refunded')).toBe(1);
    expect(await h.outboxed(orderId, 'payment.succeeded')).toBe(0);
    expect(stripe.seen.filter((r) => r.path === '/v1/refunds' && r.params.get('payment_intent') === pi)).toHaveLength(
      1,
    );
  });
});

describe('charges Stripe does not answer, and payments it finishes without a webhook', () => {
  let d: PaymentHarness;
  beforeAll(async () => {
    // one call per round and a short timeout; processing charges are re-read after 300 ms without a webhook
    d = await startPaymentHarness('stripedoubt', {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_microbazaar',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: stripe.url,
      PAYMENT_PROVIDER_TIMEOUT_MS: '500',
      PAYMENT_CHARGE_ATTEMPTS: '1',
      PAYMENT_PROCESSING_RECHECK_MS: '300',
    });
  });
  afterAll(() => d?.close());

  const status = async (orderId: string) => (await paymentStore(d.db).byOrder(orderId))?.status;
  const retrievals = (pi: string) =>
    stripe.seen.filter((r) => r.method === 'GET' && r.path === `/v1/payment_intents/${pi}`);

  it('a PaymentIntent captured but never answered: unknown, never failed; recovery replays the key and gets the capture', async () => {
    const { orderId } = await d.order({ token: 'pm_hang', amount: 2200 });
    await eventually(async () => expect(await status(orderId)).toBe('unknown'), WAIT);
    // Stripe has the money; the order must not hear that the payment failed
    const captured = [...stripe.intents.values()].filter(
      (i) => (i.metadata as { orderId: string }).orderId === orderId,
    );
    expect(captured).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await d.outboxed(orderId, 'payment.failed')).toBe(0);
    expect((await paymentStore(d.db).byOrder(orderId))?.paymentToken).toBe('pm_hang');
    await eventually(() => expect(d.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    expect(await paymentStore(d.db).byOrder(orderId)).toMatchObject({
      status: 'succeeded',
      providerRef: captured[0]?.id,
      paymentToken: null,
      attempts: 2,
    });
    const requests = intentRequests(orderId);
    expect(requests.map((r) => r.idempotencyKey)).toEqual([orderId, orderId]);
    expect(await d.outboxed(orderId, 'payment.failed')).toBe(0);
  });

  it('a processing PaymentIntent whose webhook never comes is re-read until Stripe says it succeeded', async () => {
    const { orderId } = await d.order({ token: 'pm_async', amount: 3100 });
    await eventually(async () => expect(await status(orderId)).toBe('processing'), WAIT);
    const pi = (await paymentStore(d.db).byOrder(orderId))?.providerRef as string;
    // re-read while Stripe is still processing it: it stays processing
    await eventually(() => expect(retrievals(pi).length).toBeGreaterThan(0), WAIT);
    expect(await status(orderId)).toBe('processing');
    expect(d.eventsFor(orderId, 'payment.succeeded')).toHaveLength(0);
    // Stripe finishes it; the webhook is lost
    stripe.intents.set(pi, { ...stripe.intents.get(pi), status: 'succeeded' });
    await eventually(() => expect(d.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    expect(d.eventsFor(orderId, 'payment.succeeded')[0]?.data).toMatchObject({
      amount: { amount: 3100, currency: 'USD' },
    });
    expect(await status(orderId)).toBe('succeeded');
    const seen = retrievals(pi).length;
    // settled: nobody asks about it again
    expect(await d.service.payments.recover()).toBe(0);
    expect(retrievals(pi)).toHaveLength(seen);
  });

  it('a processing PaymentIntent that fails without a webhook ends failed with the decline code', async () => {
    const { orderId } = await d.order({ token: 'pm_async' });
    await eventually(async () => expect(await status(orderId)).toBe('processing'), WAIT);
    const pi = (await paymentStore(d.db).byOrder(orderId))?.providerRef as string;
    stripe.intents.set(pi, {
      ...stripe.intents.get(pi),
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
    });
    await eventually(() => expect(d.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
    expect(d.eventsFor(orderId, 'payment.failed')[0]?.data).toMatchObject({ reason: 'insufficient_funds' });
    expect(await status(orderId)).toBe('failed');
  });
});
