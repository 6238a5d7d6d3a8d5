import { describe, expect, it } from 'vitest';
import { formatMoney, multiply } from './money.js';

describe('formatMoney', () => {
  it.each([
    [{ amount: 123456, currency: 'USD' }, '$1,234.56'],
    [{ amount: 5, currency: 'USD' }, '$0.05'],
    [{ amount: 0, currency: 'EUR' }, '€0.00'],
    [{ amount: 1200, currency: 'JPY' }, '¥1,200'],
    [{ amount: 1234, currency: 'KWD' }, 'KWD 1.234'],
    // formatting amount / 100 as a double prints ...409.90 here; the decimal string keeps the last cent
    [{ amount: Number.MAX_SAFE_INTEGER, currency: 'USD' }, '$90,071,992,547,409.91'],
  ])('%j → %s', (money, shown) => {
    expect(formatMoney(money).replace(/\u00a0/g, ' ')).toBe(shown);
  });

  it('multiplies a unit price by a quantity in minor units', () => {
    expect(multiply({ amount: 1999, currency: 'USD' }, 3)).toEqual({ amount: 5997, currency: 'USD' });
  });
});
