import { describe, expect, it } from 'vitest';
import {
  checkQuantity,
  mergeCaps,
  mergeLines,
  type ProductView,
  presentCart,
  putLine,
  type StoredLine,
  withoutOrdered,
} from './cart.js';

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

describe('putLine', () => {
  const bounds = { maxLines: 3, maxQuantity: 10, available: 8 };
  const quantities = (lines: readonly StoredLine[]) => lines.map((l) => [l.productId, l.quantity]);

  it('adds up a line within the bounds, refusing past the limit, the stock and the line count', () => {
    let lines: StoredLine[] = [];
    const put = (productId: string, quantity: number, b = bounds) => {
      const outcome = putLine(lines, productId, quantity, 'add', b, 1);
      if (outcome.ok) lines = outcome.lines;
      return outcome.ok ? { ok: true, quantity: outcome.quantity } : outcome;
    };
    expect(put('a', 3)).toEqual({ ok: true, quantity: 3 });
    expect(put('a', 4)).toEqual({ ok: true, quantity: 7 });
    expect(put('a', 2)).toEqual({ ok: false, problem: 'above_stock', current: 7 });
    expect(put('a', 4, { ...bounds, available: 100 })).toEqual({ ok: false, problem: 'above_limit', current: 7 });
    put('b', 1);
    put('c', 1);
    expect(put('d', 1)).toEqual({ ok: false, problem: 'too_many_lines', current: 0 });
    expect(quantities(lines)).toEqual([
      ['a', 7],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('sets only lines that exist, keeping when they were first added', () => {
    expect(putLine([], 'a', 2, 'set', bounds, 1)).toEqual({ ok: false, problem: 'absent', current: 0 });
    const lines = [{ productId: 'a', quantity: 1, addedAt: 5 }];
    expect(putLine(lines, 'a', 6, 'set', bounds, 9)).toEqual({
      ok: true,
      quantity: 6,
      lines: [{ productId: 'a', quantity: 6, addedAt: 5 }],
    });
    expect(putLine(lines, 'a', 9, 'set', bounds, 9)).toMatchObject({ ok: false, problem: 'above_stock' });
  });

  it('withoutOrdered takes ordered units out, dropping lines ordered whole', () => {
    const lines = [
      { productId: 'a', quantity: 3, addedAt: 1 },
      { productId: 'b', quantity: 2, addedAt: 2 },
    ];
    expect(
      withoutOrdered(lines, [
        { productId: 'a', quantity: 3 },
        { productId: 'b', quantity: 1 },
        { productId: 'z', quantity: 1 },
      ]),
    ).toEqual([{ productId: 'b', quantity: 1, addedAt: 2 }]);
  });
});
