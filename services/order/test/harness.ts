// Builds the order service on a fresh PostgreSQL database and a RabbitMQ name prefix, with loopback
// stand-ins for its neighbours: a JWKS server with our own Ed25519 key, a catalog and a cart server.
// A second bus ("the rest of the platform") publishes the events product and payment would, and records order.* events.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyEvent, EventData, EventOf, EventType } from '@microbazaar/contracts';
import { createLogger, createPostgresDb, type Db, type Env, newEvent, RabbitBus, type Role } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { authStandInBody, createTestDatabase, TEST_RABBITMQ_URL, type TestDatabase } from '@microbazaar/kit/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildApp, migrations, type OrderService } from '../src/app.js';
import { loadConfig, type OrderConfig } from '../src/config.js';
import type { CatalogProduct } from '../src/domain/order.js';
import { httpCart } from '../src/ports/cart.js';
import { httpCatalog } from '../src/ports/catalog.js';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listening & { server: Server }> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
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

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Signs access tokens as the auth service does (EdDSA, issuer, audience) and serves the public key. */
export async function tokenIssuer(): Promise<
  Listening & { jwksUrl: string; sign(userId: string, role: Role, opts?: { email?: string }): Promise<string> }
> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const http = await serve((req, res) => sendJson(res, 200, authStandInBody(req.url, { keys: [jwk] })));
  return {
    ...http,
    jwksUrl: `${http.url}/.well-known/jwks.json`,
    sign: (userId, role, opts = {}) =>
      new SignJWT({ role, email: opts.email ?? `${role}-${userId.slice(0, 8)}@example.com` })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer('microbazaar-auth')
        .setAudience('microbazaar')
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
  };
}

/** GET /api/products/:id as the product service answers it. */
export async function fakeCatalog() {
  const products = new Map<string, CatalogProduct & { slug: string; stock: number }>();
  let requests = 0;
  let down = false;
  const http = await serve((req, res) => {
    requests++;
    if (down) return sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'down', requestId: 'x' } });
    const m = /^\/api\/products\/([^/?]+)/.exec(req.url ?? '');
    const product = m ? products.get(decodeURIComponent(m[1] as string)) : undefined;
    if (!product) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'Not found', requestId: 'x' } });
    sendJson(res, 200, { ...product, description: 'a product', images: [] });
  });
  return {
    ...http,
    get requests() {
      return requests;
    },
    setDown(value: boolean) {
      down = value;
    },
    add(p: Partial<CatalogProduct> & { sellerId: string; price: CatalogProduct['price'] }) {
      const id = p.id ?? randomUUID();
      const product = {
        id,
        name: p.name ?? `Product ${id.slice(0, 6)}`,
        slug: `p-${id}`,
        stock: 100,
        status: 'active',
        ...p,
      };
      products.set(id, product);
      return product;
    },
    update(id: string, change: Partial<CatalogProduct>) {
      const p = products.get(id);
      if (p) products.set(id, { ...p, ...change });
    },
  };
}

/** GET /api/cart as the cart service answers it, by the user id in the (unverified) token. */
export async function fakeCart() {
  const carts = new Map<string, Array<{ productId: string; quantity: number }>>();
  const http = await serve((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no token', requestId: 'x' } });
    const sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub as string;
    const items = (carts.get(sub) ?? []).map((l) => ({ ...l, name: 'x', unitPrice: { amount: 1, currency: 'USD' } }));
    sendJson(res, 200, { id: sub, userId: sub, items, subtotal: { amount: 0, currency: 'USD' } });
  });
  return {
    ...http,
    set(userId: string, lines: Array<{ productId: string; quantity: number }>) {
      carts.set(userId, lines);
    },
  };
}

export interface OrderHarness {
  service: OrderService;
  app: OrderService['app'];
  config: OrderConfig;
  db: Db;
  /** the order service's own bus */
  bus: RabbitBus;
  /** the rest of the platform on the same broker and prefix */
  platform: RabbitBus;
  /** order.* events the service published, in arrival order */
  published: AnyEvent[];
  issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  catalog: Awaited<ReturnType<typeof fakeCatalog>>;
  cart: Awaited<ReturnType<typeof fakeCart>>;
  /** publishes an event as product or payment would */
  emit<T extends EventType>(type: T, data: EventData<T>): Promise<EventOf<T>>;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startOrderHarness(
  label: string,
  env: Env = {},
  urls: { db?: string } = {},
): Promise<OrderHarness> {
  const [database, issuer, catalog, cart] = await Promise.all([
    createTestDatabase(label),
    tokenIssuer(),
    fakeCatalog(),
    fakeCart(),
  ]);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    PRODUCT_URL: catalog.url,
    CART_URL: cart.url,
    BUS_MAX_ATTEMPTS: '3',
    BUS_RETRY_DELAYS_MS: '50,100',
    ...env,
  });
  // through a proxy the test can cut, when given: same server, this file's database
  const dbUrl = urls.db ? urls.db.replace(/\/[^/]*$/, `/${database.name}`) : database.url;
  const db = createPostgresDb({ url: dbUrl, schema: config.DB_SCHEMA, poolMax: 10 });
  await migrations.apply(db);
  const prefix = testPrefix(label);
  const logger = createLogger('order', config.LOG_LEVEL);
  const bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-order`, logger });
  const platform = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix, name: `test-${label}-platform` });
  await Promise.all([bus.ready(), platform.ready()]);
  const published: AnyEvent[] = [];
  await platform.subscribe({
    queue: 'observer_queue',
    bindings: ['order.*'],
    handler: async (d) => void published.push(d.event),
  });
  const catalogPort = httpCatalog({ baseUrl: catalog.url, timeoutMs: 2000 });
  const cartPort = httpCart({ baseUrl: cart.url, timeoutMs: 2000 });
  const service = await buildApp({ config, logger, db, bus, catalog: catalogPort, cart: cartPort });
  await service.app.ready();
  return {
    service,
    app: service.app,
    config,
    db,
    bus,
    platform,
    published,
    issuer,
    catalog,
    cart,
    async emit(type, data) {
      const event = newEvent(type, data);
      await platform.publish([event as AnyEvent]);
      return event;
    },
    database,
    async close() {
      await service.app.close();
      await Promise.all([catalogPort.close(), cartPort.close()]);
      await bus.deleteTopology().catch(() => {});
      await platform.deleteTopology().catch(() => {});
      await Promise.all([bus.close(), platform.close()]);
      await db.close();
      await Promise.all([issuer.close(), catalog.close(), cart.close()]);
      await database.drop();
    },
  };
}

export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
};

export async function customer(h: Pick<OrderHarness, 'issuer'>, role: Role = 'customer') {
  const userId = randomUUID();
  return { userId, token: await h.issuer.sign(userId, role) };
}
