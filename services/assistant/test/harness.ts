// Builds the assistant with the kit's service harness (a fresh PostgreSQL database, a RabbitMQ name
// prefix, a second bus publishing what product and order would) plus a Redis key prefix, and loopback
// stand-ins for its neighbours: the auth service's keys, and product, order and cart APIs that answer
// (and check ownership) as the real ones do.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventData } from '@microbazaar/contracts';
import { createLogger, type Db, type Env, openCache, type Role } from '@microbazaar/kit';
import {
  deleteRedisPrefix,
  recordingServer,
  type ServiceHarness,
  sendJson,
  startServiceHarness,
  startTokenIssuer,
  TEST_REDIS_URL,
  type TokenIssuer,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { httpCart } from '../src/adapters/cart.js';
import { httpCatalogSource } from '../src/adapters/catalog.js';
import { cachingEmbedder, createUseLiteEmbedder, type Embedder } from '../src/adapters/embedder.js';
import { httpOrders } from '../src/adapters/orders.js';
import { type AssistantService, buildApp, migrations } from '../src/app.js';
import { type AssistantConfig, loadConfig } from '../src/config.js';
import type { CatalogItem, CategoryInfo } from '../src/domain/catalog.js';
import type { Faq } from '../src/domain/faq.js';
import { type BackfillOptions, type BackfillResult, runBackfill } from '../src/usecases/backfill.js';
import type { ModelAgent } from '../src/usecases/chat.js';
import { FIXTURE_CATEGORIES, fixtureItems } from './fixtures/catalog.js';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** A loopback server whose handler gets the request body too (a POST to a stand-in). */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Listening> {
  const server = await recordingServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  return { url: server.url, close: server.close };
}

export { sendJson };

const notFound = { error: { code: 'NOT_FOUND', message: 'Not found', requestId: 'x' } };

/** The user id in a bearer token (the fakes trust it: the assistant verified it already, as the real services verify). */
function subject(req: IncomingMessage): string | undefined {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return undefined;
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub as string;
}

/** GET /api/products (pages, newest first), /api/products/:id and /api/categories, from a mutable catalog. */
export async function fakeProductApi(initial: CatalogItem[], categories: CategoryInfo[]) {
  const products = new Map(initial.map((p) => [p.id, p]));
  const requests: string[] = [];
  let down = false;
  const listed = () =>
    [...products.values()]
      .filter((p) => p.status === 'active')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  const toBody = (p: CatalogItem) => ({
    ...p,
    images: p.image
      ? [{ id: randomUUID(), url: p.image, thumbnailUrl: p.image, mediumUrl: p.image, width: 1, height: 1 }]
      : [],
  });
  const http = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (down) return sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'down', requestId: 'x' } });
    if (url.pathname === '/api/categories') return sendJson(res, 200, { items: categories, nextCursor: null });
    if (url.pathname === '/api/products') {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const all = listed();
      const items = all.slice(from, from + limit);
      const next = from + limit < all.length ? String(from + limit) : null;
      return sendJson(res, 200, { items: items.map(toBody), nextCursor: next, total: all.length, totalExact: true });
    }
    const m = /^\/api\/products\/([^/]+)$/.exec(url.pathname);
    const product = m ? products.get(decodeURIComponent(m[1] as string)) : undefined;
    if (!product) return sendJson(res, 404, notFound);
    sendJson(res, 200, toBody(product));
  });
  return {
    ...http,
    products,
    requests,
    setDown(value: boolean) {
      down = value;
    },
    /** a change as the product service makes it (the test publishes the event itself) */
    put(item: CatalogItem) {
      products.set(item.id, { ...item, updatedAt: new Date().toISOString() });
      return products.get(item.id) as CatalogItem;
    },
  };
}

export interface FakeOrder {
  id: string;
  userId: string;
  status: string;
  items: Array<{ productId: string; name: string; quantity: number; fulfilment?: string }>;
  total: { amount: number; currency: string };
  createdAt: string;
}

/** The order API as the order service answers it: a customer sees and cancels only their own orders. */
export async function fakeOrderApi() {
  const orders = new Map<string, FakeOrder>();
  const calls: string[] = [];
  const http = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}`);
    const sub = subject(req);
    if (!sub) return sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no token', requestId: 'x' } });
    const body = (o: FakeOrder) => ({ ...o, cancelReason: o.status === 'cancelled' ? 'customer' : null, history: [] });
    if (url.pathname === '/api/orders' && req.method === 'GET') {
      const mine = [...orders.values()]
        .filter((o) => o.userId === sub)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return sendJson(res, 200, { items: mine.map(body), nextCursor: null });
    }
    const m = /^\/api\/orders\/([^/]+)(\/cancel)?$/.exec(url.pathname);
    const order = m ? orders.get(m[1] as string) : undefined;
    if (!order || order.userId !== sub) return sendJson(res, 404, notFound);
    if (m?.[2] && req.method === 'POST') {
      const shipped = order.items.some((i) => i.fulfilment === 'shipped' || i.fulfilment === 'delivered');
      if ((order.status !== 'pending' && order.status !== 'confirmed') || shipped) {
        return sendJson(res, 409, {
          error: { code: 'INVALID_TRANSITION', message: `a ${order.status} order cannot be cancelled`, requestId: 'x' },
        });
      }
      order.status = 'cancelled';
    }
    sendJson(res, 200, body(order));
  });
  return {
    ...http,
    orders,
    calls,
    add(userId: string, change: Partial<FakeOrder> = {}): FakeOrder {
      const order: FakeOrder = {
        id: randomUUID(),
        userId,
        status: 'confirmed',
        items: [{ productId: randomUUID(), name: 'Ceramic Coffee Mug', quantity: 1 }],
        total: { amount: 1200, currency: 'USD' },
        createdAt: new Date(Date.now() + orders.size).toISOString(),
        ...change,
      };
      orders.set(order.id, order);
      return order;
    },
  };
}

/** The cart API: adds recorded by owner (the user in the token, or the guest's x-cart-id). */
export async function fakeCartApi() {
  const adds: Array<{ owner: string; productId: string; quantity: number }> = [];
  const http = await serve((req, res, raw) => {
    const owner = subject(req) ?? (req.headers['x-cart-id'] as string | undefined);
    if (!owner) return sendJson(res, 400, { error: { code: 'NO_CART', message: 'no cart', requestId: 'x' } });
    if (req.method === 'POST' && req.url === '/api/cart/items') {
      const body = JSON.parse(raw) as { productId: string; quantity: number };
      adds.push({ owner, ...body });
    }
    const items = adds.filter((a) => a.owner === owner).map((a) => ({ productId: a.productId, quantity: a.quantity }));
    sendJson(res, 200, { id: owner, userId: subject(req) ?? null, items, subtotal: { amount: 0, currency: 'USD' } });
  });
  return { ...http, adds };
}

let sharedEmbedder: Promise<Embedder> | undefined;

/** One embedding model per test file (loading it takes a moment). */
export function testEmbedder(): Promise<Embedder> {
  sharedEmbedder ??= createUseLiteEmbedder().then((e) => cachingEmbedder(e));
  return sharedEmbedder;
}

export interface HarnessOptions {
  env?: Env;
  items?: CatalogItem[];
  categories?: CategoryInfo[];
  /** run the backfill at start (default false: tests run it) */
  backfill?: boolean;
  workers?: boolean;
  model?: ModelAgent;
  faq?: Faq;
}

export interface AssistantHarness {
  service: AssistantService;
  app: AssistantService['app'];
  config: AssistantConfig;
  db: Db;
  issuer: TokenIssuer;
  /** the kit's harness: the platform bus, emit, the database */
  kit: ServiceHarness<AssistantService>;
  products: Awaited<ReturnType<typeof fakeProductApi>>;
  orders: Awaited<ReturnType<typeof fakeOrderApi>>;
  cart: Awaited<ReturnType<typeof fakeCartApi>>;
  /** runs the backfill (to the end unless the options stop it), then refreshes the in-memory index */
  backfill(extra?: Partial<BackfillOptions>): Promise<BackfillResult>;
  /** a new customer (or another role) and their token */
  user(role?: Role): Promise<{ userId: string; token: string; auth: { authorization: string } }>;
  close(): Promise<void>;
}

export async function startAssistantHarness(label: string, opts: HarnessOptions = {}): Promise<AssistantHarness> {
  const [issuer, products, orders, cart, embedder] = await Promise.all([
    startTokenIssuer(),
    fakeProductApi(opts.items ?? fixtureItems(), opts.categories ?? FIXTURE_CATEGORIES),
    fakeOrderApi(),
    fakeCartApi(),
    testEmbedder(),
  ]);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    PRODUCT_URL: products.url,
    ORDER_URL: orders.url,
    CART_URL: cart.url,
    UPSTREAM_TIMEOUT_MS: '2000',
    BUS_MAX_ATTEMPTS: '3',
    BUS_RETRY_DELAYS_MS: '50,100',
    ASSISTANT_INDEX_SWEEP_MS: '200',
    ...opts.env,
  });
  const redisPrefix = uniquePrefix(label);
  const cache = openCache({ REDIS_URL: TEST_REDIS_URL }, redisPrefix);
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
  const clients = {
    source: httpCatalogSource({ baseUrl: products.url, timeoutMs }),
    orders: httpOrders({ baseUrl: orders.url, timeoutMs }),
    cart: httpCart({ baseUrl: cart.url, timeoutMs }),
  };
  const kit = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: [],
    build: ({ db, bus }) =>
      buildApp({
        config,
        logger: createLogger('assistant', config.LOG_LEVEL),
        db,
        bus,
        cache,
        embedder,
        ...clients,
        backfill: opts.backfill ?? false,
        ...(opts.workers === undefined ? {} : { workers: opts.workers }),
        ...(opts.model ? { model: opts.model } : {}),
        ...(opts.faq ? { faq: opts.faq } : {}),
      }),
  });
  kit.onClose(async () => {
    await Promise.all(Object.values(clients).map((c) => c.close()));
    await cache.close();
    await deleteRedisPrefix(redisPrefix);
    await Promise.all([issuer.close(), products.close(), orders.close(), cart.close()]);
  });
  const { service, db } = kit;
  return {
    service,
    app: service.app,
    config,
    db,
    issuer,
    kit,
    products,
    orders,
    cart,
    async backfill(extra = {}) {
      const result = await runBackfill({
        db,
        source: clients.source,
        indexer: service.indexer,
        logger: createLogger('backfill', 'silent'),
        ...extra,
      });
      await service.index.refresh();
      return result;
    },
    async user(role: Role = 'customer') {
      const userId = randomUUID();
      const token = await issuer.sign(userId, role);
      return { userId, token, auth: { authorization: `Bearer ${token}` } };
    },
    close: () => kit.close(),
  };
}

/** The event a product service would publish for this product now. */
export function snapshotOf(item: CatalogItem, changed?: string[]): EventData<'product.updated'> {
  return {
    productId: item.id,
    sellerId: item.sellerId,
    name: item.name,
    slug: item.slug,
    ...(item.category ? { category: item.category } : {}),
    price: item.price,
    stock: item.stock,
    status: item.status,
    ...(changed ? { changed } : {}),
  };
}
