// Builds the order service with the kit's service harness (a fresh database, a RabbitMQ name prefix, a
// second bus that publishes the events product and payment would and records order.* events), with
// loopback stand-ins for its neighbours: the auth service's keys, a catalog and a cart server.
import { randomUUID } from 'node:crypto';
import { createLogger, type Env, type Role } from '@microbazaar/kit';
import {
  recordingServer,
  type ServiceHarness,
  sendJson,
  startServiceHarness,
  startTokenIssuer,
  type TokenIssuer,
} from '@microbazaar/kit/testing';
import { httpCart } from '../src/adapters/cart.js';
import { httpCatalog } from '../src/adapters/catalog.js';
import { buildApp, migrations, type OrderService } from '../src/app.js';
import { loadConfig, type OrderConfig } from '../src/config.js';
import type { CatalogProduct } from '../src/domain/order.js';

/** GET /api/products/:id as the product service answers it. */
export async function fakeCatalog() {
  const products = new Map<string, CatalogProduct & { slug: string; stock: number }>();
  let requests = 0;
  let down = false;
  const http = await recordingServer((req, res) => {
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
  const http = await recordingServer((req, res) => {
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

export interface OrderHarness extends ServiceHarness<OrderService> {
  config: OrderConfig;
  issuer: TokenIssuer;
  catalog: Awaited<ReturnType<typeof fakeCatalog>>;
  cart: Awaited<ReturnType<typeof fakeCart>>;
}

/** `env` overrides the test configuration (INBOX_FAST_PATHS=false: the saga without its fast paths). */
export async function startOrderHarness(
  label: string,
  env: Env = {},
  urls: { db?: string } = {},
): Promise<OrderHarness> {
  const [issuer, catalog, cart] = await Promise.all([startTokenIssuer(), fakeCatalog(), fakeCart()]);
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
  const catalogClient = httpCatalog({ baseUrl: catalog.url, timeoutMs: 2000 });
  const cartClient = httpCart({ baseUrl: cart.url, timeoutMs: 2000 });
  const h = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: ['order.*'],
    dbUrl: urls.db,
    build: ({ db, bus }) =>
      buildApp({
        config,
        logger: createLogger('order', config.LOG_LEVEL),
        db,
        bus,
        catalog: catalogClient,
        cart: cartClient,
      }),
  });
  h.onClose(() => Promise.all([catalogClient.close(), cartClient.close()]));
  h.onClose(() => Promise.all([issuer.close(), catalog.close(), cart.close()]));
  return { ...h, config, issuer, catalog, cart };
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
