// The checkout saga in embedded mode: every service in one process on PGlite, the in-memory cache and bus.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cancelAfterConfirmRefunds, declinedCardCancels, paidOrderConfirms, tooManyIsOutOfStock } from './scenarios.js';
import { type Customer, Shop } from './shop.js';
import { type Stack, startEmbeddedStack } from './stack.js';

let stack: Stack;
let shop: Shop;
let seller: Customer;

beforeAll(async () => {
  stack = await startEmbeddedStack({ label: 'e2eembedded' });
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
}, 180_000);
afterAll(() => stack?.stop(), 60_000);

describe('embedded checkout saga', () => {
  it('tok_ok → confirmed, stock down, cart empty', () => paidOrderConfirms(shop, seller), 60_000);
  it('tok_declined → cancelled payment_failed, stock restored', () => declinedCardCancels(shop, seller), 60_000);
  it('quantity above stock → cancelled out_of_stock, stock unchanged', () => tooManyIsOutOfStock(shop, seller), 60_000);
  it(
    'cancel after confirm → cancelled, refund recorded, stock restored',
    () => cancelAfterConfirmRefunds(shop, seller),
    60_000,
  );
});
