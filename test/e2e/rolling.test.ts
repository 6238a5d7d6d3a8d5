// A rolling update under load (issue 13, section 5): two product instances behind the gateway, one gets
// SIGTERM while shoppers browse, a seller adds products and orders flow through the saga (events the
// product instances consume). Nothing may fail: readiness goes 503 first and the gateway leaves the
// instance out, in-flight requests finish, a refused GET is tried on the other instance, the consumer
// stops taking events before the process exits, and no event is lost or applied twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Customer, type Reply, Shop } from './shop.js';
import { freePort, ServiceProcess, type Stack, startDistributedStack, waitReady } from './stack.js';

// readiness 503 this long before the port closes: above the gateway's instance check (every 1 s)
const DRAIN_DELAY_MS = 2500;

let stack: Stack;
let shop: Shop;
let seller: Customer;
let buyers: Customer[];
let second: ServiceProcess;

beforeAll(async () => {
  const secondPort = await freePort();
  stack = await startDistributedStack({
    label: 'e2eroll',
    // this test is about the deploy, not the database: small pools (seven processes share a PostgreSQL whose
    // 100 connections other test runs use too: "too many clients" is a 503) and no watchdog (on a CPU-starved
    // machine slow statements make it declare PostgreSQL down; db-outage.test.ts is where that is tested)
    env: { DATABASE_POOL_MAX: '3', DATABASE_CONNECT_TIMEOUT_MS: '5000', DATABASE_SUSPECT_AFTER_MS: '0' },
    serviceEnv: (url) => ({
      product: { DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
      // the gateway knows both instances; the order and cart services keep calling the first one
      gateway: { PRODUCT_URL: `${url('product')},http://127.0.0.1:${secondPort}` },
    }),
  });
  const first = stack.processes?.get('product') as ServiceProcess;
  expect(first.env.DRAIN_DELAY_MS).toBe(String(DRAIN_DELAY_MS));
  second = new ServiceProcess('product', secondPort, first.env);
  await second.start();
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
  buyers = await Promise.all(Array.from({ length: 4 }, (_, i) => shop.register(`roll${i}`)));
}, 240_000);

afterAll(async () => {
  await second?.stop('SIGKILL');
  await stack?.stop();
}, 60_000);

/** A counter of an instance's own /metrics, summed over the series whose labels contain `match`. */
async function counter(url: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

interface Tally {
  ok: number;
  failed: Array<string>;
}

// when the SIGTERM went out and when the instance exited: each failure says in which phase it came
const phase = { killedAt: 0, exitedAt: 0 };
const when = () =>
  !phase.killedAt
    ? 'before SIGTERM'
    : !phase.exitedAt
      ? `${Date.now() - phase.killedAt} ms into the drain`
      : 'after exit';

/** Runs `step` in a loop until `stop` says so, counting answers that are not the expected status. */
async function loop(
  stop: () => boolean,
  tally: Tally,
  expected: number,
  step: (i: number) => Promise<Reply>,
): Promise<void> {
  for (let i = 0; !stop(); i++) {
    try {
      const res = await step(i);
      if (res.status === expected) tally.ok++;
      else tally.failed.push(`${when()}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    } catch (err) {
      tally.failed.push(`${when()}: ${(err as Error).message}`);
    }
  }
}

describe('rolling update under load', () => {
  it('SIGTERM on one of two product instances mid-load: no request fails, no event is lost or applied twice', async () => {
    const STOCK = 10_000;
    const product = await shop.createProduct(seller, { price: 1250, stock: STOCK });
    const reads: Tally = { ok: 0, failed: [] };
    const writes: Tally = { ok: 0, failed: [] };
    const orders: Tally = { ok: 0, failed: [] };
    const placed: Array<{ buyer: Customer; id: string }> = [];
    let done = false;
    const stop = () => done;

    const paths = [`/api/products/${product.id}`, '/api/products?limit=5', '/api/categories'];
    const load = [
      // shoppers browsing (GET through the gateway, round robin over both instances)
      ...Array.from({ length: 6 }, (_, n) =>
        loop(stop, reads, 200, (i) => shop.call('GET', paths[(i + n) % paths.length] as string)),
      ),
      // a seller adding products (POST: never retried by the gateway, so it must never meet a closing port)
      loop(stop, writes, 201, (i) =>
        shop.call('POST', '/api/products', {
          token: seller.token,
          body: {
            name: `Rolling ${i} ${Date.now()}`,
            description: 'added mid-deploy',
            price: 500,
            currency: 'USD',
            stock: 1,
          },
        }),
      ),
      // orders: each one's saga goes through the product instances' consumers (reserve, then commit stock)
      ...buyers.map((buyer) =>
        loop(stop, orders, 202, async () => {
          const res = await shop.placeOrder(buyer, {
            paymentToken: 'tok_ok',
            items: [{ productId: product.id, quantity: 1 }],
          });
          if (res.status === 202) placed.push({ buyer, id: res.body.id });
          return res;
        }),
      ),
    ];

    try {
      // the instance about to stop is a real participant: it answered requests and consumed events
      await expect
        .poll(
          async () =>
            (await counter(second.url, 'http_requests_total', 'route="/api/products')) > 0 &&
            (await counter(second.url, 'events_consumed_total')) > 0,
          { timeout: 60_000, interval: 250 },
        )
        .toBe(true);
      const before = { reads: reads.ok, writes: writes.ok, orders: orders.ok };

      // SIGTERM, as a rolling update sends it; watch the instance's own readiness until it exits
      const child = second.child;
      if (!child) throw new Error('second product instance not running');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let exitCode: number | null | undefined;
      void exited.then((code) => {
        exitCode = code;
        phase.exitedAt = Date.now();
      });
      phase.killedAt = Date.now();
      child.kill('SIGTERM');
      const readiness: number[] = [];
      while (exitCode === undefined) {
        try {
          readiness.push((await fetch(`${second.url}/health/ready`, { signal: AbortSignal.timeout(2000) })).status);
        } catch {
          readiness.push(0); // refused: the port is closed
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(exitCode, second.output).toBe(0);
      expect(second.output).toContain(`SIGTERM received, readiness 503, draining in ${DRAIN_DELAY_MS} ms`);
      // ready until the signal lands, then 503 for the drain delay (never ready again), then the port closed
      const phases = readiness.map((s) => (s === 200 ? 'R' : s === 503 ? 'D' : s === 0 ? 'X' : `?${s}`)).join('');
      expect(phases).toMatch(/^R*D+X*$/);
      console.log(`readiness of the stopping instance, every 100 ms: ${phases} (R 200, D 503, X refused)`);

      // the load goes on against the one instance left, then stops
      await expect
        .poll(() => reads.ok > before.reads + 50 && writes.ok > before.writes + 3 && orders.ok > before.orders + 4, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(true);
    } finally {
      done = true;
      await Promise.all(load);
    }

    const failures = [...reads.failed, ...writes.failed, ...orders.failed];
    if (failures.length) {
      // what the product instances said about it (warnings and errors only)
      const first = stack.processes?.get('product') as ServiceProcess;
      for (const [name, p] of [
        ['first', first],
        ['second', second],
      ] as const) {
        const said = p.output.split('\n').filter((l) => /"level":(40|50)|unavailable|PostgreSQL/i.test(l));
        console.log(`${name} product instance:\n${said.slice(-15).join('\n')}`);
      }
    }
    expect(reads.failed).toEqual([]);
    expect(writes.failed).toEqual([]);
    expect(orders.failed).toEqual([]);
    console.log(`rolling update: ${reads.ok} reads, ${writes.ok} product writes, ${placed.length} orders, 0 failed`);

    // every order's saga completed once: confirmed, and the stock went down by exactly one per order
    const settled = await Promise.all(placed.map(({ buyer, id }) => shop.settled(buyer, id, 90_000)));
    expect(settled.filter((o) => o.status !== 'confirmed').map((o) => `${o.id} ${o.status} ${o.cancelReason}`)).toEqual(
      [],
    );
    await expect
      .poll(
        async () =>
          (await shop.call('GET', `/api/products/${product.id}/stock`, { token: seller.token })).body as unknown,
        { timeout: 30_000, interval: 250 },
      )
      .toMatchObject({ available: STOCK - placed.length, onHand: STOCK - placed.length, reserved: 0 });
    // the first instance is still up and ready
    await waitReady(stack.url('product'), 10_000);
  }, 240_000);
});
