// `npm run screenshots`: the main pages on a desktop and a 375 px phone, into docs/screenshots/
// (starts its own `npm start` on free ports with a fresh data dir; PNGs palette-compressed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { api, DESKTOP, launchBrowser, newShopper, PHONE, signInApi, startShop } from '../test/e2e/harness.js';

const OUT = join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });

const shop = await startShop();
const browser = await launchBrowser();

async function save(page: Page, name: string, fullPage = false) {
  await page.evaluate(() => document.fonts.ready);
  // pictures below the fold load lazily: let them come in for full-page shots
  await page.waitForLoadState('networkidle');
  const png = await page.screenshot({ fullPage, animations: 'disabled' });
  const small = await sharp(png).png({ palette: true, quality: 85, compressionLevel: 9 }).toBuffer();
  writeFileSync(join(OUT, `${name}.png`), small);
  console.log(`${name}.png ${(small.length / 1024).toFixed(0)} KiB`);
}

try {
  const products = await api<{ items: Array<{ slug: string; stock: number; category: string | null }> }>(
    shop,
    '/api/products?limit=30',
  );
  const product = products.body.items.find((p) => p.stock > 5 && p.category)!;
  const other = products.body.items.find((p) => p.stock > 5 && p.slug !== product.slug)!;
  const token = await signInApi(shop, 'admin@microbazaar.local', 'admin12345');
  void token;

  for (const [suffix, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    const { context, page } = await newShopper(browser, shop, viewport);
    if (process.env.DEBUG_CART) {
      page.on('response', async (r) => {
        if (r.url().includes('/api/cart'))
          console.log(r.request().method(), r.url(), r.status(), (await r.text().catch(() => '')).slice(0, 120));
      });
    }
    await page.goto('/');
    await page.getByRole('heading', { name: 'Featured' }).waitFor();
    await save(page, `home-${suffix}`);
    await page.goto(`/categories/${product.category}`);
    await page.locator('.card').first().waitFor();
    await save(page, `category-${suffix}`);
    await page.goto(`/products/${product.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('added to your cart').waitFor();
    await save(page, `product-${suffix}`);
    await page.goto(`/products/${other.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('added to your cart').waitFor();
    await page.goto('/cart');
    await page
      .getByRole('button', { name: /Remove/ })
      .first()
      .waitFor();
    await save(page, `cart-${suffix}`);
    await page.getByRole('link', { name: 'Checkout' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
    await page.getByRole('textbox', { name: 'Email' }).fill(`ada-${suffix}-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page
      .getByRole('textbox', { name: 'Full name' })
      .waitFor()
      .catch(async (err) => {
        await page.screenshot({ path: '/tmp/shot-debug.png' });
        throw err;
      });
    await page.getByRole('textbox', { name: 'Full name' }).fill('Ada Lovelace');
    await page.getByRole('textbox', { name: 'Address line 1' }).fill('12 Analytical Row');
    await page.getByRole('textbox', { name: 'City' }).fill('London');
    await page.getByRole('textbox', { name: 'Postal code' }).fill('N1 7AA');
    await page.getByRole('combobox', { name: 'Country' }).selectOption('GB');
    await page.getByRole('textbox', { name: 'Card number' }).fill('4242 4242 4242 4242');
    await save(page, `checkout-${suffix}`);
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL('**/account/orders/*');
    await page.getByText('Thank you!').waitFor({ timeout: 30_000 });
    await save(page, `order-${suffix}`);
    await context.close();
  }

  // the demo seller's workspace: products (On sale / Archived), one product's form with its pictures, orders to ship
  {
    const { context, page } = await newShopper(browser, shop, DESKTOP);
    await page.goto('/signin');
    await page.getByRole('textbox', { name: 'Email' }).fill('seller@microbazaar.local');
    await page.getByLabel('Password').fill('seller12345');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto('/seller');
    await page
      .getByRole('link', { name: /^Edit / })
      .first()
      .waitFor();
    await save(page, 'seller-products-desktop');
    await page
      .getByRole('link', { name: /^Edit / })
      .first()
      .click();
    await page.getByRole('button', { name: 'Move picture 1 down' }).waitFor();
    await save(page, 'seller-product-edit-desktop', true);
    await page.goto('/seller/orders');
    await page.locator('main table tbody tr, main .empty').first().waitFor();
    await save(page, 'seller-orders-desktop');
    await context.close();
  }

  const { context, page } = await newShopper(browser, shop, DESKTOP);
  await page.goto('/signin');
  await page.getByRole('textbox', { name: 'Email' }).fill('admin@microbazaar.local');
  await page.getByLabel('Password').fill('admin12345');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.goto('/seller/products/new');
  await page.getByRole('button', { name: 'Save' }).waitFor();
  await save(page, 'seller-product-form-desktop');
  await page.goto('/admin');
  await page.getByRole('row').nth(2).waitFor();
  await save(page, 'admin-users-desktop');
  await page.goto('/admin/health');
  await page.getByText('Ready').first().waitFor();
  await save(page, 'admin-health-desktop');
  await context.close();
} finally {
  await browser.close();
  await shop.stop();
}
