// Words and numbers as a shopper reads them.
import type { CancelReason, Money, OrderStatus } from './types.js';

const formatters = new Map<string, Intl.NumberFormat>();

/** Minor units in the currency's own digits, e.g. 1999 USD → $19.99, 1999 JPY → ¥1,999. */
export function formatMoney(money: Money, locale = 'en-US'): string {
  const key = `${locale}:${money.currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency });
    formatters.set(key, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(money.amount / 10 ** digits);
}

/** Major units typed by a person ("19.99") → minor units, or null when it is not a price. */
export function parsePrice(text: string, currency = 'USD'): number | null {
  const t = text.trim().replace(/,/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits;
  const [whole, frac = ''] = t.split('.');
  if ((digits ?? 2) === 0 && frac !== '') return null;
  return Number(whole) * 10 ** (digits ?? 2) + Number(frac.padEnd(digits ?? 2, '0') || 0);
}

/** Minor units → the text a price field shows. */
export function priceInput(amount: number, currency = 'USD'): string {
  const digits =
    new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return digits === 0 ? String(amount) : (amount / 10 ** digits).toFixed(digits);
}

export const STATUS_WORDS: Record<OrderStatus, string> = {
  pending: 'Pending',
  confirmed: 'Confirmed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  refunded: 'Refunded',
};

export const CANCEL_WORDS: Record<CancelReason, string> = {
  payment_failed: 'Your card was declined, so nothing was charged. Your cart still has the items.',
  out_of_stock: 'Some items sold out before we could reserve them. Nothing was charged.',
  expired: 'The order expired before the payment went through. Nothing was charged.',
  customer: 'You cancelled this order.',
};

export function stockWords(stock: number): { text: string; tone: 'ok' | 'low' | 'out' } {
  if (stock <= 0) return { text: 'Sold out', tone: 'out' };
  if (stock <= 5) return { text: `Only ${stock} left`, tone: 'low' };
  return { text: 'In stock', tone: 'ok' };
}

export function orderNumber(id: string): string {
  return `#${id.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

/** "about 1,000" when the API estimated the total. */
export function resultCount(total: number, exact: boolean): string {
  const n = total.toLocaleString('en-US');
  return `${exact ? '' : 'about '}${n} ${total === 1 ? 'result' : 'results'}`;
}

/** "19.99" for schema.org prices, in the currency's own digits. */
export function majorUnits(money: Money): string {
  const digits =
    new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  return (money.amount / 10 ** digits).toFixed(digits);
}
