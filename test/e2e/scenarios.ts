// The checkout flows every mode of the shop must pass: the same assertions distributed and embedded.
import { expect } from 'vitest';
import { type Customer, eventually, type Shop } from './shop.js';

export async function paidOrderConfirms(shop: Shop, seller: Customer) {
  const product = await shop.createProduct(seller, { price: 2599, stock: 7 });
  const buyer = await shop.register();
  expect((await shop.addToCart(buyer, product.id, 3)).status).toBe(200);
  const placed = await shop.placeOrder(buyer, { paymentToken: 'tok_ok' });
  expect(placed.status).toBe(202);
  expect(placed.body).toMatchObject({ status: 'pending', total: { amount: 3 * 2599, currency: 'USD' } });
  const order = await shop.settled(buyer, placed.body.id);
  expect(order.status).toBe('confirmed');
  expect(order.history.map((h) => h.status)).toEqual(['pending', 'confirmed']);
  await eventually(async () => expect(await shop.stock(product.id)).toBe(4));
  await eventually(async () => expect((await shop.cart(buyer)).items).toEqual([]));
  const payments = await shop.payments(buyer, order.id);
  expect(payments.body.items[0]).toMatchObject({ status: 'succeeded', amount: { amount: 7797, currency: 'USD' } });
}

export async function declinedCardCancels(shop: Shop, seller: Customer) {
  const product = await shop.createProduct(seller, { price: 1000, stock: 5 });
  const buyer = await shop.register();
  await shop.addToCart(buyer, product.id, 2);
  const placed = await shop.placeOrder(buyer, { paymentToken: 'tok_declined' });
  expect(placed.status).toBe(202);
  const order = await shop.settled(buyer, placed.body.id);
  expect(order).toMatchObject({ status: 'cancelled', cancelReason: 'payment_failed' });
  // the reservation is released: stock back where it was
  await eventually(async () => expect(await shop.stock(product.id)).toBe(5));
  expect((await shop.payments(buyer, order.id)).body.items[0]).toMatchObject({
    status: 'failed',
    failureReason: 'card_declined',
  });
  // a failed order leaves the cart alone
  expect((await shop.cart(buyer)).items).toEqual([expect.objectContaining({ productId: product.id, quantity: 2 })]);
}

export async function tooManyIsOutOfStock(shop: Shop, seller: Customer) {
  const product = await shop.createProduct(seller, { price: 500, stock: 2 });
  const buyer = await shop.register();
  const placed = await shop.placeOrder(buyer, {
    paymentToken: 'tok_ok',
    items: [{ productId: product.id, quantity: 3 }],
  });
  expect(placed.status).toBe(202);
  const order = await shop.settled(buyer, placed.body.id);
  expect(order).toMatchObject({ status: 'cancelled', cancelReason: 'out_of_stock' });
  expect(await shop.stock(product.id)).toBe(2);
  // never charged
  const payments = await shop.payments(buyer, order.id);
  expect(payments.status === 404 || ['awaiting', 'voided'].includes(payments.body.items[0].status)).toBe(true);
}

export async function cancelAfterConfirmRefunds(shop: Shop, seller: Customer) {
  const product = await shop.createProduct(seller, { price: 4200, stock: 3 });
  const buyer = await shop.register();
  const placed = await shop.placeOrder(buyer, {
    paymentToken: 'tok_ok',
    items: [{ productId: product.id, quantity: 1 }],
  });
  const confirmed = await shop.settled(buyer, placed.body.id);
  expect(confirmed.status).toBe('confirmed');
  await eventually(async () => expect(await shop.stock(product.id)).toBe(2));
  const cancel = await shop.call('POST', `/api/orders/${confirmed.id}/cancel`, { token: buyer.token });
  expect(cancel.status).toBe(200);
  expect(cancel.body).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
  await eventually(async () => {
    const payment = (await shop.payments(buyer, confirmed.id)).body.items[0];
    expect(payment).toMatchObject({ status: 'refunded', refundedAmount: { amount: 4200, currency: 'USD' } });
  });
  await eventually(async () => expect(await shop.stock(product.id)).toBe(3));
  expect((await shop.order(buyer, confirmed.id)).status).toBe('cancelled');
}
