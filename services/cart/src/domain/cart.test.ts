import { describe, expect, it } from 'vitest';
import { checkQuantity, mergeCaps, mergeLines, type ProductView, presentCart } from './cart.js';

const product = (id: string, over: Partial<ProductView> = {}): ProductView => ({
  productId: id,
  name: `P${id}`,
  price: { amount: 250, currency: 'USD' },
  stock: 4,
  status: 'active',
  sellerId: 's',
  slug: id,
  version: 1,
  ...over,
});

describe('presenting a cart', () => {
  it('prices lines from the read model in the order they were added, with availability', () => {
    const products = new Map([
      ['a', product('a', { price: { amount: 1000, currency: 'USD' } })],
      ['b', product('b', { status: 'archived' })],
    ]);
    const cart = presentCart(
      { id: 'g1', userId: null },
      [
        { productId: 'b', quantity: 1, addedAt: 20 },
        { productId: 'a', quantity: 3, addedAt: 10 },
        { productId: 'c', quantity: 1, addedAt: 30 },
      ],
      products,
    );
    expect(cart.items.map((i) => [i.productId, i.quantity, i.available, i.unitPrice.amount])).toEqual([
      ['a', 3, 4, 1000],
      ['b', 1, 0, 250],
      ['c', 1, 0, 0],
    ]);
    expect(cart.subtotal).toEqual({ amount: 3250, currency: 'USD' });
  });
});

describe('merging', () => {
  it('adds quantities up to the cap, keeps the user’s own, respects the line limit', () => {
    const caps = mergeCaps(
      ['x', 'y', 'z'],
      new Map([
        ['x', product('x', { stock: 5 })],
        ['y', product('y', { stock: 50 })],
      ]),
      {
        maxLines: 2,
        maxQuantity: 10,
      },
    );
    expect([...caps]).toEqual([
      ['x', 5],
      ['y', 10],
      ['z', 0],
    ]);
    const merged = mergeLines(
      [{ productId: 'x', quantity: 4, addedAt: 1 }],
      [
        { productId: 'x', quantity: 3, addedAt: 5 },
        { productId: 'y', quantity: 12, addedAt: 6 },
        { productId: 'z', quantity: 1, addedAt: 7 },
      ],
      caps,
      2,
    );
    expect(merged).toEqual([
      { productId: 'x', quantity: 5, addedAt: 1 },
      { productId: 'y', quantity: 10, addedAt: 6 },
    ]);
  });
});

describe('quantities', () => {
  it('≤ 0, fractional or above the limit are 400s', () => {
    for (const q of [0, -1, 2.5, 11]) {
      expect(() => checkQuantity(q, { maxLines: 5, maxQuantity: 10 })).toThrow(
        expect.objectContaining({ statusCode: 400 }),
      );
    }
    expect(() => checkQuantity(10, { maxLines: 5, maxQuantity: 10 })).not.toThrow();
  });
});
