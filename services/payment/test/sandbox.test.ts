// The payment saga on real PostgreSQL and RabbitMQ with the sandbox provider: one charge per order,
// declines, transient failures and timeouts retried with the same key, refunds, crash recovery. The saga
// steps run twice, with the one-statement fast paths on and off (INBOX_FAST_PATHS), to the same end.
import { randomUUID } from 'node:crypto';
import { createLogger, newEvent } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxProvider } from '../src/adapters/sandbox.js';
import { paymentStore } from '../src/store/payments.js';
import { createPayments } from '../src/usecases/payments.js';
import { capturesFor, type PaymentHarness, startPaymentHarness } from './harness.js';

let h: PaymentHarness;
const WAIT = 15_000;
const harnesses: { on?: PaymentHarness; off?: PaymentHarness } = {};

beforeAll(async () => {
  // tok_slow answers after 2.5 s; the provider timeout is 1 s
  const env = { PAYMENT_PROVIDER_TIMEOUT_MS: '1000', SANDBOX_SLOW_MS: '2500', SANDBOX_TRANSIENT_FAILURES: '2' };
  [harnesses.on, harnesses.off] = await Promise.all([
    startPaymentHarness('sandbox', env),
    startPaymentHarness('sandboxtx', { ...env, INBOX_FAST_PATHS: 'false' }),
  ]);
  h = harnesses.on;
});
afterAll(() => Promise.all([harnesses.on?.close(), harnesses.off?.close()]));

const row = (orderId: string) => paymentStore(h.db).byOrder(orderId);
const total = (c: { handled: number; skipped: number }) => c.handled + c.skipped;
const inboxed = async (eventId: string) =>
  (await h.db.query('SELECT 1 FROM inbox WHERE event_id = $1', [eventId])).length === 1;

async function ledger(orderId: string) {
  return h.db.query<{ kind: string; outcome: string | null; calls: number; key: string }>(
    `SELECT kind, outcome, calls, idempotency_key AS key FROM sandbox_ledger WHERE order_id = $1 ORDER BY kind`,
    [orderId],
  );
}

describe.each(['on', 'off'] as const)('payment saga, fast paths %s', (fastPaths) => {
  beforeAll(() => {
    h = harnesses[fastPaths] as PaymentHarness;
  });
  afterAll(() => {
    h = harnesses.on as PaymentHarness;
  });

  describe('charging', () => {
    it('tok_ok: charged once, payment.succeeded with the order total, token dropped, key = order id', async () => {
      const { orderId } = await h.order({ amount: 4999 });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      const p = await row(orderId);
      expect(h.eventsFor(orderId, 'payment.succeeded')[0]?.data).toMatchObject({
        orderId,
        paymentId: p?.id,
        amount: { amount: 4999, currency: 'USD' },
        provider: 'sandbox',
      });
      expect(p).toMatchObject({ status: 'succeeded', idempotencyKey: orderId, paymentToken: null, attempts: 1 });
      expect(await ledger(orderId)).toEqual([{ kind: 'charge', outcome: 'captured', calls: 1, key: orderId }]);
    });

    it('charges whichever of order.payment_requested and inventory.reserved comes last, and never before both', async () => {
      const orderId = randomUUID();
      const productId = randomUUID();
      await h.emit('inventory.reserved', { orderId, lines: [{ productId, quantity: 1 }] });
      await eventually(async () => expect((await row(orderId))?.stockReserved).toBe(true), WAIT);
      expect((await row(orderId))?.status).toBe('awaiting');
      expect(await capturesFor(h.db, orderId)).toBe(0);
      await h.emit('order.payment_requested', {
        orderId,
        userId: randomUUID(),
        total: { amount: 100, currency: 'USD' },
        paymentToken: 'tok_ok',
      });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      // stock never reserved: no charge at all
      const { orderId: unreserved } = await h.order({ reserve: false });
      await eventually(
        async () => expect((await row(unreserved))?.amount).toEqual({ amount: 2500, currency: 'USD' }),
        WAIT,
      );
      expect((await row(unreserved))?.status).toBe('awaiting');
      expect(await capturesFor(h.db, unreserved)).toBe(0);
    });

    it('tok_declined: payment.failed card_declined, nothing captured', async () => {
      const { orderId } = await h.order({ token: 'tok_declined' });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.failed')).toHaveLength(1), WAIT);
      expect(h.eventsFor(orderId, 'payment.failed')[0]?.data).toMatchObject({ reason: 'card_declined' });
      expect(await row(orderId)).toMatchObject({
        status: 'failed',
        failureReason: 'card_declined',
        paymentToken: null,
      });
      expect(await capturesFor(h.db, orderId)).toBe(0);
      expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(0);
    });

    it('tok_error: two transient failures retried with backoff and the same key, then one capture', async () => {
      const { orderId } = await h.order({ token: 'tok_error' });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      expect((await row(orderId))?.attempts).toBe(3);
      expect(await ledger(orderId)).toEqual([{ kind: 'charge', outcome: 'captured', calls: 3, key: orderId }]);
    });

    it('tok_slow: the answer misses the timeout, the retry with the same key gets the first capture back', async () => {
      const { orderId } = await h.order({ token: 'tok_slow' });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      expect((await row(orderId))?.attempts).toBe(2);
      expect(await ledger(orderId)).toEqual([{ kind: 'charge', outcome: 'captured', calls: 2, key: orderId }]);
      expect(await capturesFor(h.db, orderId)).toBe(1);
    });

    it('duplicate and redelivered events charge once', async () => {
      const before = {
        created: await h.consumed('order.payment_requested'),
        reserved: await h.consumed('inventory.reserved'),
      };
      const { orderId, productId, requested } = await h.order();
      // a redelivery of the same event and a second reservation notice
      await h.platform.publish([requested, requested]);
      await h.emit('inventory.reserved', {
        orderId,
        lines: [{ productId: productId, quantity: 1 }],
      });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      // all five deliveries consumed (their charge runs included) before checking they charged nothing more
      await eventually(async () => {
        expect(total(await h.consumed('order.payment_requested'))).toBe(total(before.created) + 3);
        expect(total(await h.consumed('inventory.reserved'))).toBe(total(before.reserved) + 2);
      }, WAIT);
      expect((await h.consumed('order.payment_requested')).skipped).toBe(before.created.skipped + 2);
      expect(await h.outboxed(orderId, 'payment.succeeded')).toBe(1);
      expect(await capturesFor(h.db, orderId)).toBe(1);
      expect((await row(orderId))?.attempts).toBe(1);
    });

    it('the same inventory.reserved several times at once, and again later, charges once', async () => {
      const { orderId, productId } = await h.order({ reserve: false });
      await eventually(async () => expect(await row(orderId)).toBeTruthy(), WAIT);
      const reserved = newEvent('inventory.reserved', {
        orderId,
        lines: [{ productId: productId, quantity: 1 }],
      });
      const before = await h.consumed('inventory.reserved');
      await h.platform.publish([reserved, reserved, reserved]);
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      await h.platform.publish([reserved]);
      // one handled, three skipped as seen: only then is "charged once" worth checking
      await eventually(async () => expect(total(await h.consumed('inventory.reserved'))).toBe(total(before) + 4), WAIT);
      expect(await h.consumed('inventory.reserved')).toEqual({
        handled: before.handled + 1,
        skipped: before.skipped + 3,
      });
      expect(await h.outboxed(orderId, 'payment.succeeded')).toBe(1);
      expect(await capturesFor(h.db, orderId)).toBe(1);
      expect((await row(orderId))?.attempts).toBe(1);
    });

    it('a provider that stays down leaves the charge unknown, never failed; recovery settles it once it answers', async () => {
      const payments = createPayments({
        db: h.db,
        provider: sandboxProvider({ db: h.db, slowMs: 0, transientFailures: 100 }),
        config: { ...h.config, PAYMENT_CHARGE_ATTEMPTS: 3 },
        logger: createLogger('payment', 'silent'),
      });
      const orderId = randomUUID();
      const job = await h.db.transaction(async (tx) => {
        await payments.paymentRequested(tx, {
          orderId,
          userId: randomUUID(),
          total: { amount: 10, currency: 'USD' },
          paymentToken: 'tok_error',
        });
        return payments.stockReserved(tx, orderId);
      });
      expect(job?.kind).toBe('charge');
      await payments.run(job!);
      // no answer is no decline: kept with its token, held for recovery, the order told nothing
      expect(await row(orderId)).toMatchObject({
        status: 'unknown',
        failureReason: null,
        paymentToken: 'tok_error',
        attempts: 3,
      });
      const [held] = await h.db.query<{ due: boolean }>(
        `SELECT lease_until > now() AS due FROM payments WHERE order_id = $1`,
        [orderId],
      );
      expect(held?.due).toBe(true);
      expect(await h.outboxed(orderId, 'payment.failed')).toBe(0);
      // the provider answers again (the service's own sandbox fails a key's first 2 calls only); the hold runs out
      await h.db.query(`UPDATE payments SET lease_until = now() - interval '1 second' WHERE order_id = $1`, [orderId]);
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      expect(await row(orderId)).toMatchObject({ status: 'succeeded', paymentToken: null, attempts: 4 });
      expect(await ledger(orderId)).toEqual([{ kind: 'charge', outcome: 'captured', calls: 4, key: orderId }]);
      expect(await h.outboxed(orderId, 'payment.failed')).toBe(0);
    });
  });

  describe('refunds and cancellations', () => {
    it('order.cancelled after a capture refunds it: payment.refunded, status refunded, refund in the ledger', async () => {
      const { orderId, summary } = await h.order({ amount: 7300 });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      await h.emit('order.cancelled', { ...summary, reason: 'customer', previousStatus: 'confirmed' });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
      expect(h.eventsFor(orderId, 'payment.refunded')[0]?.data).toMatchObject({
        amount: { amount: 7300, currency: 'USD' },
        reason: 'order cancelled: customer',
      });
      const p = await row(orderId);
      expect(p).toMatchObject({ status: 'refunded', refundedAmount: { amount: 7300, currency: 'USD' } });
      expect(p?.refundedAt).not.toBeNull();
      expect((await ledger(orderId)).map((l) => [l.kind, l.outcome, l.key])).toEqual([
        ['charge', 'captured', orderId],
        ['refund', 'refunded', `refund-${orderId}`],
      ]);
    });

    it('order.refunded (admin refund of a delivered order) refunds once', async () => {
      const { orderId, userId } = await h.order();
      await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
      const before = await h.consumed('order.refunded');
      const refunded = await h.emit('order.refunded', {
        orderId,
        userId,
        amount: { amount: 2500, currency: 'USD' },
        reason: 'broken',
      });
      await h.platform.publish([refunded]);
      await eventually(() => expect(h.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
      await eventually(async () => expect(total(await h.consumed('order.refunded'))).toBe(total(before) + 2), WAIT);
      expect(await h.consumed('order.refunded')).toEqual({ handled: before.handled + 1, skipped: before.skipped + 1 });
      expect(await h.outboxed(orderId, 'payment.refunded')).toBe(1);
      expect((await ledger(orderId)).filter((l) => l.kind === 'refund')).toEqual([
        { kind: 'refund', outcome: 'refunded', calls: 1, key: `refund-${orderId}` },
      ]);
    });

    it('cancelled before the stock was reserved: voided, never charged, even if the reservation comes later', async () => {
      const { orderId, productId, summary } = await h.order({ reserve: false });
      await h.emit('order.cancelled', { ...summary, reason: 'out_of_stock', previousStatus: 'pending' });
      await eventually(async () => expect((await row(orderId))?.status).toBe('voided'), WAIT);
      const reserved = await h.emit('inventory.reserved', {
        orderId,
        lines: [{ productId: productId, quantity: 1 }],
      });
      // the late reservation was handled (its inbox row is written in the handler's transaction) and did nothing
      await eventually(async () => expect(await inboxed(reserved.id)).toBe(true), WAIT);
      expect(await row(orderId)).toMatchObject({ status: 'voided', paymentToken: null, stockReserved: true });
      expect(await capturesFor(h.db, orderId)).toBe(0);
    });

    it('cancelled while the charge is in flight (tok_slow): the capture is refunded as soon as it lands', async () => {
      const { orderId, summary } = await h.order({ token: 'tok_slow' });
      await eventually(async () => expect((await row(orderId))?.status).toBe('charging'), WAIT);
      await h.emit('order.cancelled', { ...summary, reason: 'expired', previousStatus: 'pending' });
      await eventually(() => expect(h.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
      expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1);
      expect((await row(orderId))?.status).toBe('refunded');
      expect(await capturesFor(h.db, orderId)).toBe(1);
    });
  });

  it(`order.payment_requested and inventory.reserved took the one-statement way ${fastPaths === 'on' ? 'when they could' : 'never'}`, async () => {
    const before = {
      created: await h.fastPaths('order.payment_requested'),
      reserved: await h.fastPaths('inventory.reserved'),
    };
    // one after the other, so each finds the common case
    const { orderId, productId } = await h.order({ reserve: false });
    await eventually(async () => expect(await row(orderId)).toBeTruthy(), WAIT);
    await h.emit('inventory.reserved', {
      orderId,
      lines: [{ productId: productId, quantity: 1 }],
    });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    const after = {
      created: await h.fastPaths('order.payment_requested'),
      reserved: await h.fastPaths('inventory.reserved'),
    };
    if (fastPaths === 'off') {
      expect(after).toEqual({ created: { applied: 0, fellBack: 0 }, reserved: { applied: 0, fellBack: 0 } });
      return;
    }
    expect(after.created.applied).toBe(before.created.applied + 1);
    expect(after.reserved.applied).toBe(before.reserved.applied + 1);
  });
});

describe('recovery', () => {
  it('a charge claimed by a worker that died is finished by recovery with the same key, once', async () => {
    const payments = h.service.payments;
    const orderId = randomUUID();
    // the inbox transaction committed the claim, then the process died before calling the provider
    await h.db.transaction(async (tx) => {
      await payments.paymentRequested(tx, {
        orderId,
        userId: randomUUID(),
        total: { amount: 555, currency: 'USD' },
        paymentToken: 'tok_ok',
      });
      await payments.stockReserved(tx, orderId);
    });
    expect((await row(orderId))?.status).toBe('charging');
    // its lease runs out: the periodic recovery takes it over
    await h.db.query(`UPDATE payments SET lease_until = now() - interval '1 second' WHERE order_id = $1`, [orderId]);
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    expect(await capturesFor(h.db, orderId)).toBe(1);
    // and a second recovery round finds nothing to redo
    expect(await payments.recover()).toBe(0);
  });

  it('a worker that died after the provider captured: recovery asks again with the key and gets the same capture', async () => {
    const payments = h.service.payments;
    const orderId = randomUUID();
    await h.db.transaction(async (tx) => {
      await payments.paymentRequested(tx, {
        orderId,
        userId: randomUUID(),
        total: { amount: 800, currency: 'USD' },
        paymentToken: 'tok_ok',
      });
      await payments.stockReserved(tx, orderId);
    });
    // the provider took the money, the answer never made it back
    const provider = sandboxProvider({ db: h.db, slowMs: 0, transientFailures: 0 });
    const first = await provider.charge(
      { idempotencyKey: orderId, orderId, amount: { amount: 800, currency: 'USD' }, token: 'tok_ok' },
      new AbortController().signal,
    );
    await h.db.query(`UPDATE payments SET lease_until = now() - interval '1 second' WHERE order_id = $1`, [orderId]);
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    expect(await capturesFor(h.db, orderId)).toBe(1);
    const [ledgerRow] = await ledger(orderId);
    expect(ledgerRow?.calls).toBe(2);
    expect((await row(orderId))?.status).toBe('succeeded');
    expect(first.outcome).toBe('succeeded');
  });
});

describe('charges without an answer (one call per round)', () => {
  let one: PaymentHarness;
  beforeAll(async () => {
    // tok_slow captures at once but answers after 1 s, past the 300 ms timeout: every first round is unanswered
    one = await startPaymentHarness('sandboxdoubt', {
      PAYMENT_CHARGE_ATTEMPTS: '1',
      PAYMENT_PROVIDER_TIMEOUT_MS: '300',
      SANDBOX_SLOW_MS: '1000',
    });
  });
  afterAll(() => one?.close());

  const payment = (orderId: string) => paymentStore(one.db).byOrder(orderId);
  const unknown = (orderId: string) =>
    eventually(async () => expect((await payment(orderId))?.status).toBe('unknown'), WAIT);

  it('tok_slow: unknown while the provider holds the money, then recovery asks again and the order is paid, once', async () => {
    const { orderId } = await one.order({ token: 'tok_slow' });
    await unknown(orderId);
    expect(await payment(orderId)).toMatchObject({ paymentToken: 'tok_slow', attempts: 1, failureReason: null });
    expect(await capturesFor(one.db, orderId)).toBe(1);
    expect(await one.outboxed(orderId, 'payment.failed')).toBe(0);
    await eventually(() => expect(one.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    expect(await payment(orderId)).toMatchObject({ status: 'succeeded', paymentToken: null, attempts: 2 });
    expect(await capturesFor(one.db, orderId)).toBe(1);
    expect(await one.outboxed(orderId, 'payment.failed')).toBe(0);
    expect(one.eventsFor(orderId, 'payment.failed')).toHaveLength(0);
  });

  it('tok_slow and the order expires meanwhile: the capture recovery finds is refunded, never kept', async () => {
    const { orderId, summary } = await one.order({ token: 'tok_slow', amount: 6100 });
    await unknown(orderId);
    await one.emit('order.cancelled', { ...summary, reason: 'expired', previousStatus: 'pending' });
    await eventually(() => expect(one.eventsFor(orderId, 'payment.refunded')).toHaveLength(1), WAIT);
    expect(one.eventsFor(orderId, 'payment.refunded')[0]?.data).toMatchObject({
      amount: { amount: 6100, currency: 'USD' },
      reason: 'order cancelled: expired',
    });
    expect(await payment(orderId)).toMatchObject({ status: 'refunded', paymentToken: null });
    expect(await one.outboxed(orderId, 'payment.failed')).toBe(0);
    const sandboxLedger = await one.db.query<{ kind: string; outcome: string }>(
      `SELECT kind, outcome FROM sandbox_ledger WHERE order_id = $1 ORDER BY kind`,
      [orderId],
    );
    expect(sandboxLedger).toEqual([
      { kind: 'charge', outcome: 'captured' },
      { kind: 'refund', outcome: 'refunded' },
    ]);
  });
});

describe('GET /api/payments', () => {
  it('shows an order’s payment to its buyer and admins, 404 to anyone else, and never the token', async () => {
    const buyer = randomUUID();
    const { orderId } = await h.order({ userId: buyer });
    await eventually(() => expect(h.eventsFor(orderId, 'payment.succeeded')).toHaveLength(1), WAIT);
    const as = async (userId: string, role: 'customer' | 'admin', query: string) =>
      h.app.inject({
        url: `/api/payments${query}`,
        headers: { authorization: `Bearer ${await h.issuer.sign(userId, role)}` },
      });
    const mine = await as(buyer, 'customer', `?orderId=${orderId}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items).toHaveLength(1);
    expect(mine.json().items[0]).toMatchObject({ orderId, userId: buyer, status: 'succeeded', provider: 'sandbox' });
    expect(mine.body).not.toContain('tok_');
    expect(Object.keys(mine.json().items[0])).not.toContain('paymentToken');
    expect((await as(randomUUID(), 'customer', `?orderId=${orderId}`)).statusCode).toBe(404);
    expect((await as(randomUUID(), 'admin', `?orderId=${orderId}`)).json().items[0].orderId).toBe(orderId);
    const list = await as(buyer, 'customer', '');
    expect(list.json().items.map((p: { orderId: string }) => p.orderId)).toEqual([orderId]);
    expect((await h.app.inject({ url: `/api/payments?orderId=${orderId}` })).statusCode).toBe(401);
  });

  it('has no sandbox webhook: 404', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/sandbox',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('operations', () => {
  it('documents its routes and reports db and bus in /health/ready', async () => {
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/payments', '/api/payments/webhooks/{provider}']);
    expect((await h.app.inject('/health/ready')).json()).toMatchObject({ checks: { db: 'ok', bus: 'ok' } });
  });
});
