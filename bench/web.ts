// `npm run bench:web`: the web app's budgets in Chromium against `npm start` with a 10 000-product
// catalog (a data dir of its own, seeded once and kept under BENCH_WEB_DATA_DIR for later runs):
// storefront JavaScript on first load (gzip), the product page's LCP and CLS, and the time of each
// step of home → product → cart → placed order. Prints the figures; not a test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, DESKTOP, launchBrowser, type Shop, startShop } from '../apps/web/test/e2e/harness.js';

const ROOT = join(import.meta.dirname, '..');
const DATA_DIR = process.env.BENCH_WEB_DATA_DIR ?? '/tmp/microbazaar-bench-web';
const PRODUCTS = Number(process.env.BENCH_WEB_PRODUCTS ?? 10_000);
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 7);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
const ms = (x: number) => `${Math.round(x)} ms`;

async function prepare(): Promise<void> {
  if (existsSync(join(DATA_DIR, '.bench-seeded'))) return;
  mkdirSync(DATA_DIR, { recursive: true });
  console.log(`first run: creating the shop in ${DATA_DIR} and seeding ${PRODUCTS} products (a few minutes)…`);
  const first = await startShop({}, { dataDir: DATA_DIR });
  await first.stop();
  const seeded = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    ['scripts/seed-catalog.ts', '--products', String(PRODUCTS)],
    { cwd: ROOT, env: { ...process.env, DATA_DIR, LOG_LEVEL: 'warn' }, stdio: 'inherit' },
  );
  if (seeded.status !== 0) throw new Error('seeding the catalog failed');
  spawnSync('touch', [join(DATA_DIR, '.bench-seeded')]);
}

async function fresh(browser: Browser, shop: Shop): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: shop.url, viewport: DESKTOP, locale: 'en-US' });
  context.setDefaultTimeout(20_000);
  return { context, page: await context.newPage() };
}

/** JavaScript a first visit downloads, by file, and its gzip size; seller/admin chunks must not be among them. */
async function firstLoadJs(browser: Browser, shop: Shop, path: string) {
  const { context, page } = await fresh(browser, shop);
  const scripts = new Set<string>();
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.add(new URL(r.url()).pathname);
  });
  await page.goto(path, { waitUntil: 'networkidle' });
  await context.close();
  let gzip = 0;
  let raw = 0;
  for (const s of scripts) {
    const body = Buffer.from(await (await fetch(`${shop.url}${s}`)).arrayBuffer());
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { scripts: [...scripts], raw, gzip };
}

/** LCP (time and element) and CLS of a cold visit to a product page. */
async function productVitals(browser: Browser, shop: Shop, slug: string) {
  const { context, page } = await fresh(browser, shop);
  // browser-side code as text: this file is type-checked without the DOM library
  await page.addInitScript({
    content: `
      window.__lcp = { t: 0, tag: '' };
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__lcp = { t: e.startTime, tag: e.element ? e.element.tagName.toLowerCase() + '.' + e.element.className : '' };
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
      }).observe({ type: 'layout-shift', buffered: true });`,
  });
  await page.goto(`/products/${slug}`, { waitUntil: 'networkidle' });
  // hydration and the related products come in after load: give late shifts their chance
  await page.waitForTimeout(500);
  const out = (await page.evaluate('({ lcp: window.__lcp.t, element: window.__lcp.tag, cls: window.__cls })')) as {
    lcp: number;
    element: string;
    cls: number;
  };
  await context.close();
  return out;
}

/** A signed-in shopper with a saved address: home → product → cart → placed order, each step timed. */
async function journey(browser: Browser, shop: Shop, slug: string, n: number) {
  const email = `bench-web-${Date.now()}-${n}@example.com`;
  const reg = await api<{ user: unknown; token: string; refreshToken: string }>(shop, '/api/auth/register', {
    method: 'POST',
    json: { email, password: 'bench password', name: 'Bench' },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
  const { context, page } = await fresh(browser, shop);
  const session = JSON.stringify({ user: reg.body.user, token: reg.body.token, refreshToken: reg.body.refreshToken });
  const address = JSON.stringify({
    name: 'Bench',
    line1: '1 Loop Road',
    city: 'Localhost',
    postalCode: '127',
    country: 'GB',
  });
  await page.addInitScript({
    content: `localStorage.setItem('mb.session', ${JSON.stringify(session)}); localStorage.setItem('mb.address', ${JSON.stringify(address)});`,
  });
  const t = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  const home = await t(async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Featured' }).waitFor();
    await page.locator('.card').first().waitFor();
  });
  // the product: a card link on a listing is what a shopper clicks; here the bench's own product by URL
  const product = await t(async () => {
    // a link in the page, clicked as a shopper clicks a product card (client-side navigation)
    await page.evaluate(
      `(() => { const a = document.createElement('a'); a.href = '/products/${slug}'; a.id = 'bench-link'; a.textContent = 'bench'; document.querySelector('main').append(a); })()`,
    );
    await page.click('#bench-link');
    await page.getByRole('button', { name: 'Add to cart' }).waitFor();
  });
  const cart = await t(async () => {
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('added to your cart').waitFor();
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('link', { name: 'Checkout' }).waitFor();
  });
  await page.getByRole('link', { name: 'Checkout' }).click();
  await page.getByRole('textbox', { name: 'Card number' }).fill('4242 4242 4242 4242');
  const placed = await t(async () => {
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL('**/account/orders/*');
    await page.locator('.order-status .badge').waitFor();
  });
  const confirmed = await t(() =>
    page.waitForFunction("document.querySelector('.order-status .badge')?.textContent === 'Confirmed'", null, {
      timeout: 30_000,
    }),
  );
  await context.close();
  return { home, product, cart, placed, confirmed: placed + confirmed };
}

await prepare();
const shop = await startShop({}, { dataDir: DATA_DIR });
const browser = await launchBrowser();
try {
  const total = await api<{ total: number; totalExact: boolean }>(shop, '/api/products?limit=1');
  const sample = await api<{ items: Array<{ slug: string; stock: number }> }>(
    shop,
    '/api/products?limit=100&sort=price_asc',
  );
  const slugs = sample.body.items.filter((p) => p.stock > 20).map((p) => p.slug);
  console.log(
    `\nnpm start with the seeded catalog (the API's count: ${total.body.totalExact ? '' : 'about '}${total.body.total}); Chromium ${browser.version()}; ${RUNS} runs\n`,
  );

  // warm the server side (first renders, caches) the way a running shop is warm
  await productVitals(browser, shop, slugs[0]!);
  const js = await firstLoadJs(browser, shop, '/');
  const jsProduct = await firstLoadJs(browser, shop, `/products/${slugs[1]}`);
  const split = ![...js.scripts, ...jsProduct.scripts].some((s) => /Seller|Admin/.test(s));

  const vitals = [];
  for (let i = 0; i < RUNS; i++) vitals.push(await productVitals(browser, shop, slugs[(i + 2) % slugs.length]!));
  const steps = [];
  for (let i = 0; i < RUNS; i++) steps.push(await journey(browser, shop, slugs[(i + 3) % slugs.length]!, i));

  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');
  const lcp = vitals.map((v) => v.lcp);
  const cls = vitals.map((v) => v.cls);
  const rows: Array<[string, string, string]> = [
    [
      'storefront JS, first load of / (gzip)',
      `${kb(js.gzip)} (${kb(js.raw)} raw, ${js.scripts.length} file${js.scripts.length === 1 ? '' : 's'})`,
      `≤ 150 KB: ${verdict(js.gzip <= 150 * 1024)}`,
    ],
    [
      'storefront JS, first load of a product page (gzip)',
      kb(jsProduct.gzip),
      `≤ 150 KB: ${verdict(jsProduct.gzip <= 150 * 1024)}`,
    ],
    ['seller/admin code on those loads', split ? 'none (split away)' : 'LOADED', split ? 'ok' : 'NOT SPLIT'],
    [
      'product page LCP, cold visit, median / max',
      `${ms(median(lcp))} / ${ms(max(lcp))} (${vitals[0]!.element})`,
      `≤ 1000 ms: ${verdict(median(lcp) <= 1000)}`,
    ],
    [
      'product page CLS, median / max',
      `${median(cls).toFixed(3)} / ${max(cls).toFixed(3)}`,
      `< 0.05: ${verdict(max(cls) < 0.05)}`,
    ],
  ];
  for (const step of ['home', 'product', 'cart', 'placed'] as const) {
    const xs = steps.map((s) => s[step]);
    rows.push([
      `step: ${step === 'placed' ? 'place order → order page' : step === 'cart' ? 'add → cart page' : step === 'home' ? 'open home' : 'home → product page'}, median / max`,
      `${ms(median(xs))} / ${ms(max(xs))}`,
      `≤ 1000 ms: ${verdict(median(xs) <= 1000)}`,
    ]);
  }
  const conf = steps.map((s) => s.confirmed);
  rows.push([
    '(place order → "Confirmed" shown live), median / max',
    `${ms(median(conf))} / ${ms(max(conf))}`,
    'saga, no budget',
  ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${b.padEnd(w2)}  ${c}`);
  console.log('');
} finally {
  await browser.close();
  await shop.stop();
}
