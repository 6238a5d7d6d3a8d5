// Money for people: integer minor units shown with the currency's own decimals, no float arithmetic.
import type { Money } from './events.js';

const digitsCache = new Map<string, number>();

function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits as number;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** `{amount: 123456, currency: 'USD'}` → `$1,234.56`; JPY has no minor unit, so 1200 → `¥1,200`. */
export function formatMoney(money: Money): string {
  const digits = minorDigits(money.currency);
  const text = String(money.amount).padStart(digits + 1, '0');
  const decimal = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  try {
    // a decimal string keeps every digit exact (Intl formats strings without going through a double)
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency }).format(
      decimal as unknown as number,
    );
  } catch {
    return `${decimal} ${money.currency}`;
  }
}
