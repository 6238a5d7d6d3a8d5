// The shopper's journeys in a real browser against `npm start`, on a desktop and on a 375 px phone.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, DESKTOP, launchBrowser, mails, newShopper, PHONE, type Shop, signInApi, startShop } from './harness.js';

let shop: Shop;
let browser: Browser;
let adminToken: string;

beforeAll(async () => {
  [shop, browser] = await Promise.all([startShop(), launchBrowser()]);
  adminToken = await signInApi(shop, 'admin@microbazaar.local', 'admin12345');
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await shop?.stop();
}, 60_000);

interface DemoProduct {
  id: string;
  slug: string;
  name: string;
  stock: number;
  category: string | null;
  attributes: Record<string, unknown>;
}

/** Two in-stock demo products of one category, found the way a shopper would search for them. */
async function twoProducts(): Promise<[DemoProduct, DemoProduct]> {
  const res = await api<{ items: DemoProduct[] }>(shop, '/api/products?limit=100');
  const inStock = res.body.items.filter((p) => p.stock >= 5);
  expect(inStock.length).toBeGreaterThan(2);
  return [inStock[0]!, inStock[1]!];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let emailSeq = 0;
const newEmail = (tag: string) => `${tag}-${Date.now()}-${emailSeq++}@example.com`;

async function addToCart(page: Page, product: DemoProduct, quantity: number) {
  await page.goto(`/products/${product.slug}`);
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(product.name);
  await page.getByRole('spinbutton', { name: 'Quantity' }).fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText('added to your cart').waitFor();
}

async function fillAddress(page: Page) {
  await page.getByRole('textbox', { name: 'Full name' }).fill('Ada Lovelace');
  await page.getByRole('textbox', { name: 'Address line 1' }).fill('12 Analytical Row');
  await page.getByRole('textbox', { name: 'Address line 2' }).fill('Flat 3');
  await page.getByRole('textbox', { name: 'City' }).fill('London');
  await page.getByRole('textbox', { name: 'Region' }).fill('Greater London');
  await page.getByRole('textbox', { name: 'Postal code' }).fill('N1 7AA');
  await page.getByRole('combobox', { name: 'Country' }).selectOption('GB');
  await page.getByRole('textbox', { name: 'Phone' }).fill('+44 20 7946 0000');
}

async function registerAtCheckout(page: Page, email: string) {
  await page.getByRole('link', { name: 'Checkout' }).click();
  await page.waitForURL('**/checkout');
  await page.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('textbox', { name: 'Full name' }).waitFor();
}

for (const [label, viewport] of [
  ['desktop', DESKTOP],
  ['375 px phone', PHONE],
] as const) {
  describe(`shopper on a ${label}`, () => {
    it('a guest searches, filters, opens a product, adds two items, registers at checkout, pays with 4242 and sees Confirmed arrive live', async () => {
      const [first, second] = await twoProducts();
      const { context, page, errors } = await newShopper(browser, shop, viewport);
      try {
        await page.goto('/');
        expect(await page.getAttribute('html', 'lang')).toBe('en');
        // search from the header: typed words, Enter with no suggestion picked
        const box = page.getByRole('combobox', { name: 'Search products' });
        const word = first.name.split(' ').at(-1)!;
        await box.fill(word);
        await box.press('Enter');
        await page.waitForURL(`**/search?q=${encodeURIComponent(word)}`);
        await expect
          .poll(() =>
            page
              .getByText(/\d+ results?/)
              .first()
              .textContent(),
          )
          .toMatch(/result/);
        // a filter keeps its state in the URL
        await page.getByRole('textbox', { name: 'Max' }).fill('100000');
        await page.getByRole('button', { name: 'Apply' }).click();
        await page.waitForURL(/maxPrice=10000000/);
        const card = page.getByRole('link', { name: new RegExp(escapeRegExp(first.name)) }).first();
        await card.click();
        await page.waitForURL(`**/products/${first.slug}`);
        await page.getByRole('button', { name: 'Add to cart' }).click();
        await page.getByText('added to your cart').waitFor();
        await addToCart(page, second, 2);
        await page.getByRole('link', { name: 'Cart, 3 items' }).waitFor();

        // the guest's cart survives a reload
        await page.goto('/cart');
        await page.reload();
        await expect.poll(() => page.getByRole('button', { name: /Remove/ }).count()).toBe(2);
        expect(await page.getByRole('combobox', { name: /Quantity/ }).count()).toBe(2);

        const email = newEmail(`buyer-${label.replace(/\W/g, '')}`);
        await registerAtCheckout(page, email);
        await fillAddress(page);
        await page.getByRole('textbox', { name: 'Card number' }).fill('4242 4242 4242 4242');
        await page.getByRole('button', { name: 'Place order' }).click();
        await page.waitForURL('**/account/orders/*');
        const orderId = page.url().split('/').pop()!;
        // marks this document: a reload would lose it
        await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
        // pending first, then the saga confirms it and the stream moves the badge without a reload
        const badge = page.locator('.order-status .badge');
        await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe('Confirmed');
        expect(page.url()).toContain(orderId);
        expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

        // the order is in the history, the bell counts the notice, the mail is in the dev mailbox
        await page.getByRole('link', { name: 'Orders' }).first().click();
        await page.waitForURL('**/account/orders');
        await page
          .getByRole('link', { name: new RegExp(`Order #${orderId.replace(/-/g, '').slice(0, 8)}`, 'i') })
          .waitFor();
        await expect
          .poll(() => page.getByRole('button', { name: /Notifications/ }).getAttribute('aria-label'))
          .toMatch(/unread/);
        await expect
          .poll(async () =>
            (await mails(shop, adminToken)).some((m) => m.to.includes(email) && /confirmed/i.test(m.subject)),
          )
          .toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it('a declined card shows the reason and keeps the cart', async () => {
      const [first] = await twoProducts();
      const { context, page, errors } = await newShopper(browser, shop, viewport);
      try {
        await addToCart(page, first, 1);
        await page.goto('/cart');
        await registerAtCheckout(page, newEmail('declined'));
        await fillAddress(page);
        // a card that is not a test card is refused on the spot
        await page.getByRole('textbox', { name: 'Card number' }).fill('1234 5678 9012 3456');
        await page.getByRole('button', { name: 'Place order' }).click();
        await page.getByText('use one of the test card numbers').waitFor();
        await page.getByRole('textbox', { name: 'Card number' }).fill('4000 0000 0000 0002');
        await page.getByRole('button', { name: 'Place order' }).click();
        await page.waitForURL('**/account/orders/*');
        await expect
          .poll(() => page.locator('.order-status .badge').textContent(), { timeout: 30_000 })
          .toBe('Cancelled');
        await page.getByText('Your card was declined').waitFor();
        await page.getByRole('link', { name: /Cart/ }).first().click();
        await expect.poll(() => page.getByRole('button', { name: /Remove/ }).count()).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  });
}

describe('accounts', () => {
  it('the reset-password mail link works in the browser', async () => {
    const email = newEmail('reset');
    const reg = await api(shop, '/api/auth/register', {
      method: 'POST',
      json: { email, password: 'old password 1', name: 'Reset Me' },
    });
    expect(reg.status).toBe(201);
    const { context, page } = await newShopper(browser, shop);
    try {
      await page.goto('/signin');
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('textbox', { name: 'Email' }).fill(email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByText('If an account exists for that email').waitFor();
      let mailId = '';
      await expect
        .poll(async () => {
          mailId =
            (await mails(shop, adminToken)).find((m) => m.to.includes(email) && /password/i.test(m.subject))?.id ?? '';
          return mailId;
        })
        .not.toBe('');
      const raw = await fetch(`${shop.url}/api/notifications/dev/mail/${mailId}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      }).then((r) => r.text());
      const unfolded = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const link = /https?:\/\/[^\s"<>]+\/reset-password\?token=[\w-]+/.exec(unfolded)?.[0];
      expect(link, 'the mail holds the reset link').toBeTruthy();
      expect(new URL(link!).origin).toBe(shop.url);
      await page.goto(link!);
      await page.getByLabel('New password', { exact: true }).fill('new password 22');
      await page.getByLabel('Repeat the new password').fill('new password 22');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Your password is changed').waitFor();
      await page.getByRole('link', { name: 'Sign in' }).first().click();
      await page.getByRole('textbox', { name: 'Email' }).fill(email);
      await page.getByLabel('Password').fill('new password 22');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('a refused sign-in says why in visible text', async () => {
    const { context, page } = await newShopper(browser, shop);
    try {
      await page.goto('/signin');
      await page.getByRole('textbox', { name: 'Email' }).fill('nobody@example.com');
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Wrong email or password.').waitFor();
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe('shopping assistant', () => {
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['375 px phone', PHONE],
  ] as const) {
    it(`answers in the chat panel with product links (${label})`, async () => {
      const products = await api<{ items: Array<{ name: string; category: string | null }> }>(
        shop,
        '/api/products?limit=5',
      );
      const { context, page, errors } = await newShopper(browser, shop, viewport);
      try {
        await page.goto('/');
        await page.getByRole('button', { name: 'Ask the shopping assistant' }).click();
        const dialog = page.getByRole('dialog', { name: 'Shopping assistant' });
        await dialog
          .getByRole('textbox', { name: 'Message' })
          .fill(`I am looking for a ${products.body.items[0]!.name.split(' ').at(-1)}`);
        await dialog.getByRole('button', { name: 'Send' }).click();
        const link = dialog.getByRole('link').first();
        await link.waitFor({ timeout: 20_000 });
        const name = (await link.textContent()) ?? '';
        await link.click();
        await page.waitForURL('**/products/*');
        // the URL changes before the product page renders: wait for the product's own h1 (the home's goes)
        const heading = page.locator('main .product-info h1');
        await heading.waitFor();
        expect(name).toContain((await heading.textContent()) ?? '');
        // the dialog closed with the navigation; Escape also closes it
        await page.getByRole('button', { name: 'Ask the shopping assistant' }).click();
        await dialog.waitFor();
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});

describe('you may also like', () => {
  it("shows the assistant's picks on the product page and in the cart, never the product itself", async () => {
    const [product] = await twoProducts();
    const { context, page, errors } = await newShopper(browser, shop, DESKTOP);
    const hrefs = (section: ReturnType<Page['getByRole']>) =>
      section.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    try {
      const answered = page.waitForResponse((r) =>
        r.url().includes(`/api/assistant/recommendations?productId=${product.id}`),
      );
      await page.goto(`/products/${product.slug}`);
      const picks = ((await (await answered).json()) as { items: Array<{ id: string; slug: string }> }).items;
      expect(picks.length).toBeGreaterThan(0);
      const onPage = page.getByRole('region', { name: 'You may also like' });
      await onPage.getByRole('link').first().waitFor();
      // the assistant's answer, as links to those products
      expect(await hrefs(onPage)).toEqual(
        picks
          .filter((p) => p.id !== product.id)
          .slice(0, 4)
          .map((p) => `/products/${p.slug}`),
      );
      expect(await hrefs(onPage)).not.toContain(`/products/${product.slug}`);

      await addToCart(page, product, 1);
      await page.goto('/cart');
      const inCart = page.getByRole('region', { name: 'You may also like' });
      await inCart.getByRole('link').first().waitFor();
      expect(await hrefs(inCart)).not.toContain(`/products/${product.slug}`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
