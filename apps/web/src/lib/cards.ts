// The sandbox payment provider takes tokens; the checkout takes the well-known test card numbers
// and maps them, so a shopper types a card as with a real provider.
export interface TestCard {
  number: string;
  token: string;
  outcome: string;
}

export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242 4242 4242 4242', token: 'tok_ok', outcome: 'pays' },
  { number: '5555 5555 5555 4444', token: 'tok_ok', outcome: 'pays (Mastercard)' },
  { number: '4000 0000 0000 0002', token: 'tok_declined', outcome: 'is declined' },
  { number: '4000 0000 0000 9995', token: 'tok_declined', outcome: 'is declined (insufficient funds)' },
  { number: '4000 0000 0000 0119', token: 'tok_error', outcome: 'fails once at the provider, then is retried' },
];

export const digitsOf = (text: string) => text.replace(/[\s-]/g, '');

/** The sandbox token for a typed card number, or an error in words. */
export function sandboxToken(cardNumber: string): { token: string } | { error: string } {
  const digits = digitsOf(cardNumber);
  if (!digits) return { error: 'Enter a card number' };
  if (!/^\d{12,19}$/.test(digits)) return { error: 'A card number has 12 to 19 digits' };
  const card = TEST_CARDS.find((c) => digitsOf(c.number) === digits);
  if (!card) return { error: 'This is the test shop: use one of the test card numbers listed below' };
  return { token: card.token };
}

/** Groups of four as the shopper types. */
export function formatCardNumber(text: string): string {
  return digitsOf(text)
    .replace(/\D/g, '')
    .slice(0, 19)
    .replace(/(\d{4})(?=\d)/g, '$1 ');
}
