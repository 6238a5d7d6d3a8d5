// Builds the payment service with the kit's service harness (a fresh database, a RabbitMQ name prefix, a
// second bus that publishes order.* and inventory.* events and records the payment.* events the service
// publishes), with the auth service's keys on loopback.
import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventData, EventOf } from '@microbazaar/contracts';
import { createLogger, type Db, type Env } from '@microbazaar/kit';
import { type ServiceHarness, startServiceHarness, startTokenIssuer, type TokenIssuer } from '@microbazaar/kit/testing';
import { buildApp, migrations, type PaymentService } from '../src/app.js';
import { loadConfig, type PaymentConfig } from '../src/config.js';

export interface PaymentHarness extends ServiceHarness<PaymentService> {
  config: PaymentConfig;
  issuer: TokenIssuer;
  /**
   * order.payment_requested + inventory.reserved for a new order, as order and product would publish
   * them; `summary` is the order as its other events (order.cancelled) carry it
   */
  order(opts?: { token?: string; amount?: number; reserve?: boolean; userId?: string }): Promise<{
    orderId: string;
    userId: string;
    productId: string;
    requested: EventOf<'order.payment_requested'>;
    summary: EventData<'order.created'>;
  }>;
  /** payment.* events of an order written to the outbox (committed, relayed or not) */
  outboxed(orderId: string, type: AnyEvent['type']): Promise<number>;
}

/** `urls.db`: reach PostgreSQL at another address (a fault proxy); the test database's name is kept. */
export async function startPaymentHarness(
  label: string,
  env: Env = {},
  urls: { db?: string } = {},
): Promise<PaymentHarness> {
  const issuer = await startTokenIssuer();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    BUS_MAX_ATTEMPTS: '3',
    BUS_RETRY_DELAYS_MS: '50,100',
    PAYMENT_PROVIDER_TIMEOUT_MS: '300',
    PAYMENT_RETRY_BASE_MS: '20',
    PAYMENT_RECOVERY_INTERVAL_MS: '200',
    ...env,
  });
  const h = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: ['payment.*'],
    dbUrl: urls.db,
    build: ({ db, bus }) => buildApp({ config, logger: createLogger('payment', config.LOG_LEVEL), db, bus }),
  }).catch(async (err: unknown) => {
    await issuer.close();
    throw err;
  });
  h.onClose(() => issuer.close());
  return {
    ...h,
    config,
    issuer,
    async order(opts = {}) {
      const orderId = randomUUID();
      const userId = opts.userId ?? randomUUID();
      const productId = randomUUID();
      const amount = opts.amount ?? 2500;
      const total = { amount, currency: 'USD' };
      const requested = await h.emit('order.payment_requested', {
        orderId,
        userId,
        total,
        paymentToken: opts.token ?? 'tok_ok',
      });
      if (opts.reserve !== false) await h.emit('inventory.reserved', { orderId, lines: [{ productId, quantity: 1 }] });
      const summary = { orderId, userId, items: [{ productId, quantity: 1, unitPrice: total }], total };
      return { orderId, userId, productId, requested, summary };
    },
    async outboxed(orderId, type) {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE type = $1 AND payload->'data'->>'orderId' = $2`,
        [type, orderId],
      );
      return row?.n ?? 0;
    },
  };
}

/** Charges captured per order in the sandbox's ledger: more than one would be a double charge. */
export async function capturesFor(db: Db, orderId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sandbox_ledger WHERE kind = 'charge' AND order_id = $1 AND outcome = 'captured'`,
    [orderId],
  );
  return row?.n ?? 0;
}
