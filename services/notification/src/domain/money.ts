// Money for people (formatMoney, shared with other services through contracts) and line arithmetic.
import type { Money } from '@microbazaar/contracts';

export { formatMoney } from '@microbazaar/contracts';

export function multiply(money: Money, quantity: number): Money {
  return { amount: money.amount * quantity, currency: money.currency };
}
