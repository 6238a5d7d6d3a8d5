// `npm run bench:cart`: the cart service alone in its own process on PostgreSQL, Redis and RabbitMQ, driven
// directly (no gateway) by autocannon: reading a cart of three lines and adding a unit to a line, for
// signed-in users spread over 500 carts and 40 products, 50 connections and 1.
// The catalog is a loopback stand-in the service asks once per product (then its read model answers);
// tokens come from a stand-in for the auth service's keys. Redis keys, the database and the queues are
// the bench's own and are deleted at the end.
// Env: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (50), BENCH_REDIS_CUT (true: the
// service reaches Redis through the kit's TCP proxy, cut once the carts are filled: the PostgreSQL-only path).
import { randomUUID } from 'node:crypto';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { createFaultProxy } from '@microbazaar/kit/faults';
import {
  createTestDatabase,
  deleteRedisPrefix,
  recordingServer,
  sendJson,
  startTokenIssuer,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import autocannon from 'autocannon';
import { deleteBusTopology, freePort, ServiceProcess } from '../test/e2e/stack.js';
import { type Figures, figuresOf, printTable } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REDIS_CUT = process.env.BENCH_REDIS_CUT === 'true';
const USERS = 500;
const PRODUCTS = 40;

const products = Array.from({ length: PRODUCTS }, (_, i) => ({
  id: randomUUID(),
  name: `Bench product ${i}`,
  slug: `bench-product-${i}`,
  price: { amount: 1000 + i, currency: 'USD' },
  stock: 1_000_000,
  sellerId: randomUUID(),
  status: 'active',
}));
const byId = new Map<string, (typeof products)[number]>(products.map((p) => [p.id, p]));
/** the k-th of the three lines in user u's cart */
const lineOf = (u: number, k: number) => products[(u + k * 7) % PRODUCTS] as { id: string };

async function run(
  scenario: string,
  url: string,
  tokens: readonly string[],
  connections: number,
  request: (user: number) => { method: 'GET' | 'POST'; path: string; body?: string },
): Promise<Figures> {
  const options = (duration: number): autocannon.Options => ({
    url,
    connections,
    duration,
    requests: [
      {
        setupRequest: (req) => {
          const user = Math.floor(Math.random() * tokens.length);
          const r = request(user);
          return {
            ...req,
            method: r.method,
            path: r.path,
            headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
            ...(r.body ? { body: r.body } : {}),
          };
        },
      },
    ],
  });
  if (WARMUP) await autocannon(options(WARMUP));
  const r = await autocannon(options(SECONDS));
  if (r.non2xx) {
    const sample = request(0);
    const res = await fetch(`${url}${sample.path}`, {
      method: sample.method,
      headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' },
      ...(sample.body ? { body: sample.body } : {}),
    });
    console.warn(`${scenario}: ${r.non2xx} answers not 2xx, e.g. ${res.status} ${await res.text()}`);
  }
  return figuresOf(scenario, r);
}

const [issuer, catalog, database] = await Promise.all([
  startTokenIssuer(),
  recordingServer((req, res) => {
    const id = /^\/api\/products\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    const p = byId.get(id);
    if (!p) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'Not found', requestId: 'x' } });
    sendJson(res, 200, p);
  }),
  createTestDatabase('benchcart'),
]);
const redisProxy = REDIS_CUT ? await createFaultProxy(TEST_REDIS_URL) : undefined;
const keyPrefix = uniquePrefix('benchcart');
const busPrefix = testPrefix('benchcart');
const env = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: database.url,
  REDIS_URL: redisProxy?.url ?? TEST_REDIS_URL,
  RABBITMQ_URL: TEST_RABBITMQ_URL,
  BUS_PREFIX: busPrefix,
  CART_KEY_PREFIX: keyPrefix,
  CART_MAX_QUANTITY: '100000',
  AUTH_JWKS_URL: issuer.jwksUrl,
  PRODUCT_URL: catalog.url,
};
const cart = new ServiceProcess('cart', await freePort(), env);
try {
  await cart.start();
  const tokens = await Promise.all(Array.from({ length: USERS }, () => issuer.sign(randomUUID())));
  // every user's cart gets three lines
  for (let i = 0; i < tokens.length; i += 25) {
    await Promise.all(
      tokens.slice(i, i + 25).map(async (token, j) => {
        for (const k of [0, 1, 2]) {
          const res = await fetch(`${cart.url}/api/cart/items`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ productId: lineOf(i + j, k).id, quantity: 1 }),
          });
          if (res.status !== 200) throw new Error(`seeding a cart: ${res.status} ${await res.text()}`);
        }
      }),
    );
  }
  await redisProxy?.cut();
  const get = () => ({ method: 'GET' as const, path: '/api/cart' });
  // one more unit of a line already there: the carts keep their three lines
  const add = (user: number) => ({
    method: 'POST' as const,
    path: '/api/cart/items',
    body: JSON.stringify({ productId: lineOf(user, Math.floor(Math.random() * 3)).id, quantity: 1 }),
  });
  const rows: Figures[] = [];
  rows.push(await run(`GET /api/cart, ${CONNECTIONS} conns`, cart.url, tokens, CONNECTIONS, get));
  rows.push(await run('GET /api/cart, 1 conn', cart.url, tokens, 1, get));
  rows.push(await run(`POST /api/cart/items, ${CONNECTIONS} conns`, cart.url, tokens, CONNECTIONS, add));
  rows.push(await run('POST /api/cart/items, 1 conn', cart.url, tokens, 1, add));
  printTable(
    `cart service alone (${USERS} user carts of 3 lines, ${PRODUCTS} products${REDIS_CUT ? ', Redis cut' : ''}), ${SECONDS} s per scenario`,
    rows,
  );
} finally {
  await cart.stop('SIGTERM');
  await deleteBusTopology(busPrefix, [env]).catch(() => {});
  await deleteRedisPrefix(keyPrefix).catch(() => {});
  await database.drop().catch(() => {});
  await Promise.all([issuer.close(), catalog.close(), redisProxy?.close()]);
}
