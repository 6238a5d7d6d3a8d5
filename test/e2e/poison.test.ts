// A poison event across processes: it ends in the dead-letter queue instead of blocking the queue, and the
// order it concerned is cancelled `expired` by the order service's sweeper instead of staying pending.
import { randomUUID } from 'node:crypto';
import { createPostgresDb, type Db, newEvent, RabbitBus } from '@microbazaar/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Customer, eventually, Shop } from './shop.js';
import { type Stack, startDistributedStack } from './stack.js';

let stack: Stack;
let shop: Shop;
let seller: Customer;
let bus: RabbitBus;
let payments: Db;

beforeAll(async () => {
  stack = await startDistributedStack({
    label: 'e2epoison',
    serviceEnv: { order: { ORDER_PENDING_TIMEOUT_SECONDS: '6', ORDER_SWEEP_INTERVAL_MS: '300' } },
  });
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
  bus = new RabbitBus({ url: stack.rabbitUrl as string, prefix: stack.busPrefix as string, name: 'e2e-poison' });
  await bus.ready();
  payments = createPostgresDb({ url: stack.databaseUrl as string, schema: 'payments', poolMax: 2 });
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await payments?.close();
  await stack?.stop();
}, 60_000);

it('a poison event goes to the DLQ and the order is expired by the sweeper, not stuck', async () => {
  const product = await shop.createProduct(seller, { price: 3100, stock: 5 });
  const buyer = await shop.register();
  // no payment service for now: nothing but the poison will answer this order
  const payment = stack.processes?.get('payment');
  await payment?.stop('SIGTERM');
  const placed = await shop.placeOrder(buyer, {
    paymentToken: 'tok_ok',
    items: [{ productId: product.id, quantity: 1 }],
  });
  expect(placed.status).toBe(202);
  await eventually(async () => expect(await shop.stock(product.id)).toBe(4));

  // a broken producer: bytes that are no event, and a payment that does not match the order
  await bus.publishRaw('payments_exchange', 'payment.succeeded', '{"type": "payment.succeeded", "data": ');
  const poison = newEvent('payment.succeeded', {
    orderId: placed.body.id,
    paymentId: randomUUID(),
    amount: { amount: 1, currency: 'USD' },
  });
  await bus.publish([poison]);
  await eventually(async () => {
    const dead = await bus.deadLetters.list('orders_queue');
    expect(dead.map((d) => d.reason).sort()).toEqual(['handler_failed', 'invalid_message']);
    expect(dead.find((d) => d.reason === 'handler_failed')?.id).toBe(poison.id);
  });

  const order = await shop.settled(buyer, placed.body.id, 30_000);
  expect(order).toMatchObject({ status: 'cancelled', cancelReason: 'expired' });
  expect(order.history.at(-1)?.cause).toContain('still pending after 6 s');
  await eventually(async () => expect(await shop.stock(product.id)).toBe(5));

  // the payment service comes back to an order that is already cancelled: nothing is kept
  await payment?.start();
  await eventually(async () => {
    const [row] = await payments.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [
      order.id,
    ]);
    expect(['voided', 'refunded']).toContain(row?.status);
  });
  const [money] = await payments.query<{ kept: number }>(
    `SELECT (count(*) FILTER (WHERE kind = 'charge' AND outcome = 'captured')
           - count(*) FILTER (WHERE kind = 'refund' AND outcome = 'refunded'))::int AS kept
       FROM sandbox_ledger WHERE order_id = $1`,
    [order.id],
  );
  expect(money?.kept).toBe(0);
  expect((await shop.order(buyer, order.id)).status).toBe('cancelled');
}, 120_000);
