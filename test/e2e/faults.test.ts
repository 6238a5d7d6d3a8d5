// The saga under failure, every service its own process: the payment process killed mid-saga and
// restarted, and the RabbitMQ connection of every service dropped mid-saga. Every order must end
// confirmed or cancelled, and no order may be charged twice.
import { createPostgresDb, type Db } from '@microbazaar/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Customer, eventually, type Order, Shop } from './shop.js';
import { type Stack, startDistributedStack } from './stack.js';

let stack: Stack;
let shop: Shop;
let seller: Customer;
let payments: Db;
let orders: Db;

beforeAll(async () => {
  stack = await startDistributedStack({
    label: 'e2efaults',
    brokerProxy: true,
    serviceEnv: {
      // a short provider timeout and lease, so a crashed charge is taken over within seconds
      payment: {
        PAYMENT_PROVIDER_TIMEOUT_MS: '400',
        PAYMENT_CHARGE_ATTEMPTS: '3',
        PAYMENT_RETRY_BASE_MS: '50',
        PAYMENT_RECOVERY_INTERVAL_MS: '300',
        SANDBOX_SLOW_MS: '1500',
      },
    },
  });
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
  payments = createPostgresDb({ url: stack.databaseUrl as string, schema: 'payments', poolMax: 2 });
  orders = createPostgresDb({ url: stack.databaseUrl as string, schema: 'orders', poolMax: 2 });
}, 180_000);

afterAll(async () => {
  await payments?.close();
  await orders?.close();
  await stack?.stop();
}, 60_000);

const TOKENS = ['tok_ok', 'tok_slow', 'tok_error', 'tok_ok', 'tok_declined'];

async function placeMany(n: number, productId: string) {
  const buyers = await Promise.all(Array.from({ length: n }, (_, i) => shop.register(`fault${i}`)));
  const placed = await Promise.all(
    buyers.map((b, i) =>
      shop.placeOrder(b, { paymentToken: TOKENS[i % TOKENS.length] as string, items: [{ productId, quantity: 1 }] }),
    ),
  );
  expect(placed.map((p) => p.status)).toEqual(Array(n).fill(202));
  return placed.map((p, i) => ({
    buyer: buyers[i] as Customer,
    id: p.body.id as string,
    token: TOKENS[i % TOKENS.length],
  }));
}

/** Captures and refunds per order in the sandbox provider's own ledger. */
async function ledger(orderIds: string[]) {
  const rows = await payments.query<{ orderId: string; kind: string; outcome: string | null }>(
    `SELECT order_id AS "orderId", kind, outcome FROM sandbox_ledger WHERE order_id = ANY($1::text[])`,
    [orderIds],
  );
  const per = new Map<string, { captured: number; refunded: number }>();
  for (const id of orderIds) per.set(id, { captured: 0, refunded: 0 });
  for (const r of rows) {
    const entry = per.get(r.orderId) as { captured: number; refunded: number };
    if (r.kind === 'charge' && r.outcome === 'captured') entry.captured++;
    if (r.kind === 'refund' && r.outcome === 'refunded') entry.refunded++;
  }
  return per;
}

/** Every order settled; the money matches the outcome: confirmed = one capture, cancelled = nothing kept. */
async function expectConsistent(placed: Array<{ buyer: Customer; id: string; token: string | undefined }>) {
  const settled: Order[] = await Promise.all(placed.map((p) => shop.settled(p.buyer, p.id, 90_000)));
  for (const o of settled) expect(['confirmed', 'cancelled']).toContain(o.status);
  await eventually(async () => {
    const money = await ledger(placed.map((p) => p.id));
    for (const o of settled) {
      const m = money.get(o.id) as { captured: number; refunded: number };
      expect(m.captured, `order ${o.id} captured`).toBeLessThanOrEqual(1);
      if (o.status === 'confirmed') expect(m, `order ${o.id}`).toEqual({ captured: 1, refunded: 0 });
      else expect(m.captured - m.refunded, `order ${o.id} kept money`).toBe(0);
    }
  }, 30_000);
  // declines are declines, whatever happened to the processes
  for (const [i, o] of settled.entries()) {
    if (placed[i]?.token === 'tok_declined')
      expect(o).toMatchObject({ status: 'cancelled', cancelReason: 'payment_failed' });
  }
  return settled;
}

describe('faults', () => {
  it('the payment process killed mid-saga and restarted: every order settles, none charged twice', async () => {
    const product = await shop.createProduct(seller, { price: 1234, stock: 1000 });
    const payment = stack.processes?.get('payment');
    if (!payment) throw new Error('no payment process');
    const placed = await placeMany(30, product.id);
    // kill it while charges are in flight (tok_slow holds them for 1.5 s)
    await eventually(
      async () => {
        const [row] = await payments.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM payments WHERE status = 'charging'`,
        );
        expect(row?.n).toBeGreaterThanOrEqual(3);
      },
      30_000,
      20,
    );
    await payment.stop('SIGKILL');
    const [pending] = await orders.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE status = 'pending' AND id = ANY($1::uuid[])`,
      [placed.map((p) => p.id)],
    );
    expect(pending?.n).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    await payment.start();
    const settled = await expectConsistent(placed);
    expect(settled.filter((o) => o.status === 'confirmed').length).toBeGreaterThan(0);
  }, 180_000);

  it('RabbitMQ dropped mid-saga for every service: every order settles, none charged twice', async () => {
    const product = await shop.createProduct(seller, { price: 777, stock: 1000 });
    const broker = stack.broker;
    if (!broker) throw new Error('no broker proxy');
    const before = await placeMany(20, product.id);
    await eventually(
      async () => {
        const [row] = await orders.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM orders WHERE status <> 'pending' AND id = ANY($1::uuid[])`,
          [before.map((p) => p.id)],
        );
        expect(row?.n).toBeGreaterThan(0);
      },
      30_000,
      20,
    );
    await broker.cut();
    // checkout keeps working while the broker is away: the orders wait in the outbox
    const during = await placeMany(10, product.id);
    await new Promise((r) => setTimeout(r, 2000));
    await broker.restore();
    await expectConsistent([...before, ...during]);
  }, 180_000);
});
