// Sellers, admins, what crawlers read, 404s and accessibility, in a real browser against `npm start`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { api, DESKTOP, launchBrowser, newShopper, PHONE, type Shop, signInApi, startShop } from './harness.js';

let shop: Shop;
let browser: Browser;
const files = mkdtempSync(join(tmpdir(), 'web-images-'));

beforeAll(async () => {
  [shop, browser] = await Promise.all([startShop(), launchBrowser()]);
  for (const [name, colour] of [
    ['front.png', '#2f6fde'],
    ['back.png', '#de6f2f'],
  ] as const) {
    writeFileSync(
      join(files, name),
      await sharp({ create: { width: 640, height: 640, channels: 3, background: colour } })
        .png()
        .toBuffer(),
    );
  }
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await shop?.stop();
  rmSync(files, { recursive: true, force: true });
}, 60_000);

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/signin');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

let seq = 0;

for (const [label, viewport] of [
  ['desktop', DESKTOP],
  ['375 px phone', PHONE],
] as const) {
  describe(`workspaces on a ${label}`, () => {
    it('a seller creates a product with two images and sees it in search', async () => {
      const name = `Harbour Lantern ${label === 'desktop' ? 'Classic' : 'Compact'} ${Date.now() % 100000}`;
      // a stock of its own per run: the other run's lantern may show up among the related products
      const stock = label === 'desktop' ? 4 : 3;
      const { context, page, errors } = await newShopper(browser, shop, viewport);
      try {
        await signIn(page, 'seller@microbazaar.local', 'seller12345');
        await page.goto('/seller/products/new');
        await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
        await page
          .getByRole('textbox', { name: /Description/ })
          .fill('A storm lantern with a warm glow.\n\nRuns for 12 hours.');
        // a bad price is refused next to the field, before anything is sent
        await page.getByRole('textbox', { name: /Price/ }).fill('twelve');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Enter a price like 19.99').waitFor();
        await page.getByRole('textbox', { name: /Price/ }).fill('34.50');
        const categories = await page.getByRole('combobox', { name: 'Category' }).locator('option').allTextContents();
        await page.getByRole('combobox', { name: 'Category' }).selectOption({ label: categories[1]! });
        await page.getByRole('spinbutton', { name: /Stock/ }).fill(String(stock));
        await page.getByRole('button', { name: 'Add attribute' }).click();
        await page.getByRole('textbox', { name: 'Attribute 1 name' }).fill('brand');
        await page.getByRole('textbox', { name: 'Attribute 1 value' }).fill('Tidewater');
        await page.getByLabel('Images').setInputFiles([join(files, 'front.png'), join(files, 'back.png')]);
        await expect.poll(() => page.getByRole('img', { name: /Preview of/ }).count()).toBe(2);
        // the second picture becomes the main one
        await page.getByRole('button', { name: 'Move back.png earlier' }).click();
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForURL(/\/seller\/products\/[0-9a-f-]{36}$/, { timeout: 30_000 });
        await expect.poll(() => page.getByRole('img', { name: new RegExp(`${name} \\(\\d of 2\\)`) }).count()).toBe(2);

        await page.goto(`/search?q=${encodeURIComponent('Harbour Lantern')}`);
        const card = page.getByRole('link', { name: new RegExp(name) });
        await card.waitFor();
        await card.click();
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
        await page.getByText('$34.50').first().waitFor();
        await page.getByText(`Only ${stock} left`).waitFor();
        // the picture uploaded second is first: its rendition is orange
        const src = await page.locator('.gallery-main img').getAttribute('src');
        const main = await fetch(`${shop.url}${src}`).then((r) => r.arrayBuffer());
        const { dominant } = await sharp(Buffer.from(main)).stats();
        expect(dominant.r).toBeGreaterThan(dominant.b);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it('an admin disables a user who then cannot sign in', async () => {
      const email = `disable-me-${Date.now()}-${seq++}@example.com`;
      const reg = await api(shop, '/api/auth/register', {
        method: 'POST',
        json: { email, password: 'secret pass 1', name: 'Disable Me' },
      });
      expect(reg.status).toBe(201);
      const { context, page, errors } = await newShopper(browser, shop, viewport);
      try {
        await signIn(page, 'admin@microbazaar.local', 'admin12345');
        await page.goto('/admin');
        await page.getByRole('searchbox', { name: 'Search users' }).fill(email);
        await page.getByRole('main').getByRole('button', { name: 'Search', exact: true }).click();
        const row = page.getByRole('row').filter({ hasText: email });
        await row.waitFor();
        await expect.poll(() => page.getByRole('row').count()).toBe(2);
        await row.getByRole('button', { name: 'Disable' }).click();
        await row.getByRole('button', { name: 'Enable' }).waitFor();
        await page.getByRole('button', { name: 'Sign out' }).click();

        await page.goto('/signin');
        await page.getByRole('textbox', { name: 'Email' }).fill(email);
        await page.getByLabel('Password').fill('secret pass 1');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByText('This account is disabled').waitFor();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  });
}

describe('pages for crawlers, and 404s', () => {
  it('a product page holds its head and content without JavaScript', async () => {
    const list = await api<{
      items: Array<{ slug: string; name: string; price: { amount: number; currency: string } }>;
    }>(shop, '/api/products?limit=1');
    const p = list.body.items[0]!;
    const res = await fetch(`${shop.url}/products/${p.slug}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const esc = p.name.replace(/&/g, '&amp;');
    expect(html).toContain(`<title>${esc} | microBazaar</title>`);
    expect(html).toMatch(/<meta name="description" content="[^"]+">/);
    expect(html).toContain(`<link rel="canonical" href="${shop.url}/products/${p.slug}">`);
    expect(html).toContain(`<meta property="og:title" content="${esc} | microBazaar">`);
    expect(html).toMatch(/<meta property="og:image" content="http:\/\/localhost:\d+\/media\/[^"]+">/);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(html)![1]!);
    expect(ld).toMatchObject({
      '@type': 'Product',
      name: p.name,
      image: expect.arrayContaining([expect.stringMatching(/^http:\/\/localhost:\d+\/media\//)]),
      offers: {
        '@type': 'Offer',
        priceCurrency: p.price.currency,
        availability: expect.stringMatching(/schema.org\/(InStock|OutOfStock)/),
      },
    });
    expect(Number(ld.offers.price)).toBeCloseTo(p.price.amount / 100);
    // the main content is there too
    expect(html).toContain(`<h1>${esc}</h1>`);
    expect(html).toContain('Add to cart');
  });

  it('category and search pages are rendered on the server; unknown URLs and missing products are 404s', async () => {
    const cats = await api<{ items: Array<{ slug: string; name: string }> }>(shop, '/api/categories');
    const c = cats.body.items[0]!;
    const cat = await fetch(`${shop.url}/categories/${c.slug}`);
    expect(cat.status).toBe(200);
    const catHtml = await cat.text();
    expect(catHtml).toContain(`<link rel="canonical" href="${shop.url}/categories/${c.slug}">`);
    expect(catHtml).toMatch(/<article class="card">/);
    const search = await fetch(`${shop.url}/search?q=lamp`);
    expect(search.status).toBe(200);
    expect(await search.text()).toContain('<meta name="robots" content="noindex, follow">');
    for (const path of ['/no/such/page', '/products/no-such-product-anywhere', '/categories/no-such-category']) {
      const res = await fetch(`${shop.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toContain('We can’t find that page');
    }
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(catHtml)![1]!;
    const js = await fetch(`${shop.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('a product that disappears between the listing and the click shows the 404 page', async () => {
    const seller = await signInApi(shop, 'seller@microbazaar.local', 'seller12345');
    const made = await api<{ id: string; slug: string }>(shop, '/api/products', {
      method: 'POST',
      token: seller,
      json: { name: `Vanishing Vase ${Date.now()}`, price: 1500, stock: 3 },
    });
    expect(made.status).toBe(201);
    const { context, page } = await newShopper(browser, shop);
    try {
      await page.goto(`/search?q=${encodeURIComponent('Vanishing Vase')}`);
      const card = page.getByRole('link', { name: /Vanishing Vase/ }).first();
      await card.waitFor();
      const gone = await api(shop, `/api/products/${made.body.id}`, { method: 'DELETE', token: seller });
      expect(gone.status).toBe(204);
      await card.click();
      // archived: the API answers 404 to the shop (only its seller and admins read it), the shop shows the 404 page
      await page.getByRole('heading', { level: 1, name: /can’t find that product/ }).waitFor();
      expect((await fetch(`${shop.url}/products/${made.body.slug}`)).status).toBe(404);
      await page.goto('/products/never-existed-here');
      await page.getByRole('heading', { level: 1, name: /can’t find that product/ }).waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('an order from two sellers', () => {
  it('each seller sees and ships only their own items; the order is shipped when both have', async () => {
    const stamp = `${Date.now()}-${seq++}`;
    const admin = await signInApi(shop, 'admin@microbazaar.local', 'admin12345');
    const demoSeller = await signInApi(shop, 'seller@microbazaar.local', 'seller12345');
    // a second seller: registered, made a seller by the admin, signed in again for a token with the role
    const email = `second-seller-${stamp}@example.com`;
    const reg = await api<{ user: { id: string } }>(shop, '/api/auth/register', {
      method: 'POST',
      json: { email, password: 'secret pass 2', name: 'Second Seller' },
    });
    expect(reg.status).toBe(201);
    const role = await api(shop, `/api/auth/users/${reg.body.user.id}`, {
      method: 'PATCH',
      token: admin,
      json: { role: 'seller' },
    });
    expect(role.status).toBe(200);
    const secondSeller = await signInApi(shop, email, 'secret pass 2');
    const make = async (token: string, name: string, price: number) => {
      const made = await api<{ id: string }>(shop, '/api/products', {
        method: 'POST',
        token,
        json: { name, price, stock: 5 },
      });
      expect(made.status).toBe(201);
      return made.body.id;
    };
    const mine = `Tide Clock ${stamp}`;
    const theirs = `Harbour Bell ${stamp}`;
    const [clock, bell] = [await make(secondSeller, mine, 4200), await make(demoSeller, theirs, 9900)];
    const buyer = (
      await api<{ token: string }>(shop, '/api/auth/register', {
        method: 'POST',
        json: { email: `two-sellers-buyer-${stamp}@example.com`, password: 'secret pass 3', name: 'Grace Hopper' },
      })
    ).body.token;
    const placed = await api<{ id: string }>(shop, '/api/orders', {
      method: 'POST',
      token: buyer,
      headers: { 'idempotency-key': `two-sellers-${stamp}` },
      json: {
        shippingAddress: {
          name: 'Grace Hopper',
          line1: '1 Compiler Way',
          city: 'Arlington',
          postalCode: '22201',
          country: 'US',
        },
        paymentToken: 'tok_ok',
        items: [
          { productId: clock, quantity: 1 },
          { productId: bell, quantity: 2 },
        ],
      },
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.id;
    const status = async () =>
      (await api<{ status: string }>(shop, `/api/orders/${orderId}`, { token: buyer })).body.status;
    await expect.poll(status, { timeout: 30_000 }).toBe('confirmed');

    const { context, page, errors } = await newShopper(browser, shop, DESKTOP);
    try {
      await signIn(page, email, 'secret pass 2');
      await page.goto('/seller/orders');
      const row = page.getByRole('row').filter({ hasText: mine });
      await row.waitFor();
      // my item, my total and where it goes; never the other seller's item or the order's total
      await row.getByText('Not shipped yet').waitFor();
      await row.getByText('$42.00').waitFor();
      await row.getByText('Grace Hopper, 1 Compiler Way, 22201 Arlington, US').waitFor();
      expect(await page.getByText(theirs).count()).toBe(0);
      expect(await row.getByText('$240.00').count()).toBe(0);
      await row.getByRole('button', { name: /^Ship order / }).click();
      await row.getByRole('textbox', { name: /Carrier/ }).fill('Royal Mail');
      await row.getByRole('textbox', { name: /Tracking number/ }).fill('RM123');
      await row.getByRole('button', { name: 'Confirm shipment' }).click();
      // nothing of mine is left to ship (the default view); the order is still confirmed, waiting for the other seller
      await row.waitFor({ state: 'detached' });
      expect(await status()).toBe('confirmed');
      await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'On their way' });
      const again = page.getByRole('row').filter({ hasText: mine });
      await again.getByText('· Shipped (Royal Mail RM123)').waitFor();
      await again.getByRole('button', { name: /^Mark delivered: order / }).waitFor();
      expect(await again.getByRole('button', { name: /^Ship order / }).count()).toBe(0);
      // the other seller ships theirs: now the order is shipped
      const shipped = await api<{ status: string }>(shop, `/api/orders/${orderId}/ship`, {
        method: 'POST',
        token: demoSeller,
        json: {},
      });
      expect(shipped.body.status).toBe('shipped');
      expect(await status()).toBe('shipped');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('accessibility', () => {
  it('every page type has one h1, landmarks, and no serious or critical axe violations', async () => {
    const products = await api<{ items: Array<{ id: string; slug: string; stock: number }> }>(
      shop,
      '/api/products?limit=5',
    );
    const product = products.body.items.find((p) => p.stock > 0)!;
    const cats = await api<{ items: Array<{ slug: string }> }>(shop, '/api/categories');
    const { context, page } = await newShopper(browser, shop);
    const report: Record<string, unknown> = {};
    const check = async (path: string, ready: () => Promise<unknown>) => {
      await page.goto(path);
      await ready();
      expect(await page.locator('h1').count(), `${path}: one h1`).toBe(1);
      for (const landmark of ['banner', 'main', 'contentinfo']) {
        expect(await page.getByRole(landmark as 'main').count(), `${path}: ${landmark}`).toBeGreaterThan(0);
      }
      expect(await page.getByRole('navigation').count(), `${path}: nav`).toBeGreaterThan(0);
      const found = await seriousViolations(page);
      if (found.length) report[path] = found;
    };
    const h1 = () => page.locator('main h1').waitFor();
    try {
      await check('/', () => page.getByRole('heading', { name: 'Featured' }).waitFor());
      await check(`/categories/${cats.body.items[0]!.slug}`, () => page.locator('.card').first().waitFor());
      await check('/search?q=lamp', h1);
      await check(`/products/${product.slug}`, () => page.getByRole('button', { name: 'Add to cart' }).waitFor());
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.getByText('added to your cart').waitFor();
      await check('/cart', () => page.getByRole('button', { name: /Remove/ }).waitFor());
      await check('/checkout', () => page.getByRole('button', { name: 'Create account' }).waitFor());
      await check('/signin', h1);
      await check('/register', h1);
      await check('/forgot-password', h1);
      await check('/reset-password?token=abc', h1);
      await check('/no/such/page', h1);
      await signIn(page, 'admin@microbazaar.local', 'admin12345');
      await check('/checkout', () => page.getByRole('textbox', { name: 'Card number' }).waitFor());
      await check('/account', () => page.getByRole('button', { name: 'Save preferences' }).waitFor());
      await check('/account/orders', h1);
      await check('/account/notifications', h1);
      await check('/seller', h1);
      await check('/seller/products/new', () => page.getByRole('button', { name: 'Save' }).waitFor());
      await check(`/seller/products/${product.id}`, () => page.getByRole('button', { name: 'Save' }).waitFor());
      await check('/seller/orders', h1);
      await check('/admin', () => page.getByRole('row').nth(1).waitFor());
      await check('/admin/orders', h1);
      await check('/admin/categories', () => page.getByRole('row').nth(1).waitFor());
      await check('/admin/health', () => page.getByText('Ready').first().waitFor());
      expect(report).toEqual({});
    } finally {
      await context.close();
    }
  }, 180_000);

  it('the keyboard reaches the search, the suggestions and the cart without a mouse', async () => {
    const { context, page } = await newShopper(browser, shop);
    try {
      await page.goto('/');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
      const products = await api<{ items: Array<{ name: string }> }>(shop, '/api/products?limit=1');
      const word = products.body.items[0]!.name.split(' ')[0]!;
      await page.keyboard.type(word);
      await page.getByRole('option').first().waitFor();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/products/*');
      // the focus ring is visible: a box-shadow outline on the focused element
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
      expect(ring).not.toBe('none');
    } finally {
      await context.close();
    }
  }, 60_000);
});
