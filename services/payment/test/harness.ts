// Builds the payment service on a fresh PostgreSQL database and a RabbitMQ name prefix, with a JWKS
// server of our own. A second bus plays the rest of the platform: it publishes order.* and inventory.*
// events and records the payment.* events the service publishes.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import { createLogger, createPostgresDb, type Db, type Env, newEvent, RabbitBus, type Role } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { authStandInBody, createTestDatabase, TEST_RABBITMQ_URL, type TestDatabase } from '@microbazaar/kit/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildApp, migrations, type PaymentService } from '../src/app.js';
import { loadConfig, type PaymentConfig } from '../src/config.js';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Signs access tokens as the auth service does (EdDSA, issuer, audience) and serves the public key. */
export async function tokenIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const http = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(authStandInBody(req.url, { keys: [jwk] })));
  });
  return {
    ...http,
    jwksUrl: `${http.url}/.well-known/jwks.json`,
    sign: (userId: string, role: Role) =>
      new SignJWT({ role, email: `${role}@example.com` })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer('microbazaar-auth')
        .setAudience('microbazaar')
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
  };
}

export interface PaymentHarness {
  service: PaymentService;
  app: PaymentService['app'];
  config: PaymentConfig;
  db: Db;
  bus: RabbitBus;
  platform: RabbitBus;
  /** payment.* events the service published */
  published: AnyEvent[];
  issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  emit<T extends EventType>(type: T, data: EventData<T>): Promise<EventOf<T>>;
  /** order.created + inventory.reserved for a new order, as order and product would publish them */
  order(opts?: { token?: string; amount?: number; reserve?: boolean; userId?: string }): Promise<{
    orderId: string;
    userId: string;
    created: EventOf<'order.created'>;
  }>;
  eventsFor(orderId: string, type: AnyEvent['type']): AnyEvent[];
  /** payment.* events of an order written to the outbox (committed, relayed or not) */
  outboxed(orderId: string, type: AnyEvent['type']): Promise<number>;
  /** events of `type` payments_queue has consumed and acked so far (events_consumed_total), by outcome */
  consumed(type: EventType): Promise<{ handled: number; skipped: number }>;
  database: TestDatabase;
  close(): Promise<void>;
}

/** `urls.db`: reach PostgreSQL at another address (a fault proxy); the test database's name is kept. */
export async function startPaymentHarness(
  label: string,
  env: Env = {},
  urls: { db?: string } = {},
): Promise<PaymentHarness> {
  const [database, issuer] = await Promise.all([createTestDatabase(label), tokenIssuer()]);
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
  const dbUrl = urls.db ? urls.db.replace(/\/[^/]*$/, `/${database.name}`) : database.url;
  const db = createPostgresDb({ url: dbUrl, schema: config.DB_SCHEMA, poolMax: 10 });
  await migrations.apply(db);
  const prefix = testPrefix(label);
  const logger = createLogger('payment', config.LOG_LEVEL);
  const bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-payment`, logger });
  const platform = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-platform` });
  await Promise.all([bus.ready(), platform.ready()]);
  const published: AnyEvent[] = [];
  await platform.subscribe({
    queue: 'observer_queue',
    bindings: ['payment.*'],
    handler: async (d) => void published.push(d.event),
  });
  const service = await buildApp({ config, logger, db, bus });
  await service.app.ready();

  const emit = async <T extends EventType>(type: T, data: EventData<T>) => {
    const event = newEvent(type, data);
    await platform.publish([event as AnyEvent]);
    return event;
  };
  return {
    service,
    app: service.app,
    config,
    db,
    bus,
    platform,
    published,
    issuer,
    emit,
    async order(opts = {}) {
      const orderId = randomUUID();
      const userId = opts.userId ?? randomUUID();
      const productId = randomUUID();
      const amount = opts.amount ?? 2500;
      const created = await emit('order.created', {
        orderId,
        userId,
        items: [{ productId, quantity: 1, unitPrice: { amount, currency: 'USD' } }],
        total: { amount, currency: 'USD' },
        paymentToken: opts.token ?? 'tok_ok',
      });
      if (opts.reserve !== false) await emit('inventory.reserved', { orderId, lines: [{ productId, quantity: 1 }] });
      return { orderId, userId, created };
    },
    eventsFor: (orderId, type) =>
      published.filter((e) => e.type === type && (e.data as { orderId: string }).orderId === orderId),
    async outboxed(orderId, type) {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE type = $1 AND payload->'data'->>'orderId' = $2`,
        [type, orderId],
      );
      return row?.n ?? 0;
    },
    async consumed(type) {
      const metric = service.app.metrics.registry.getSingleMetric('events_consumed_total');
      const values = metric ? (await metric.get()).values : [];
      const count = (outcome: string) =>
        values
          .filter((v) => v.labels.type === type && v.labels.outcome === outcome)
          .reduce((sum, v) => sum + v.value, 0);
      return { handled: count('handled'), skipped: count('skipped') };
    },
    database,
    async close() {
      await service.app.close();
      await bus.deleteTopology().catch(() => {});
      await platform.deleteTopology().catch(() => {});
      await Promise.all([bus.close(), platform.close()]);
      await db.close();
      await issuer.close();
      await database.drop();
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
