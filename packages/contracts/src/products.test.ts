import { describe, expect, it } from 'vitest';
import { readProductSummary } from './products.js';

const body = {
  id: '6f1c1e9a-3b0f-4c55-9a57-5b7c1e2d4a10',
  slug: 'lamp',
  name: 'Lamp',
  description: 'a lamp',
  price: { amount: 1999, currency: 'EUR' },
  sellerId: 'seller-1',
  status: 'active',
  stock: 3,
  images: [],
};

describe('readProductSummary', () => {
  it('keeps the fields other services rely on, and only those', () => {
    expect(readProductSummary(body)).toEqual({
      id: body.id,
      slug: 'lamp',
      name: 'Lamp',
      price: { amount: 1999, currency: 'EUR' },
      sellerId: 'seller-1',
      status: 'active',
      stock: 3,
    });
  });

  it('refuses a body without a readable price, name or seller', () => {
    expect(readProductSummary({ ...body, price: { amount: 19.99, currency: 'EUR' } })).toBeUndefined();
    expect(readProductSummary({ ...body, price: { amount: 1999 } })).toBeUndefined();
    expect(readProductSummary({ ...body, name: undefined })).toBeUndefined();
    expect(readProductSummary({ ...body, sellerId: 7 })).toBeUndefined();
    expect(readProductSummary('not a product')).toBeUndefined();
  });
});
