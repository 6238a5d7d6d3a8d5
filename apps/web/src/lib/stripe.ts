// Stripe's own card element when the shop is configured with a publishable key (the gateway puts it
// in the page): the card number goes from the browser to Stripe, never to our servers.
export type PaymentConfig =
  | { provider: 'sandbox'; publishableKey: '' }
  | { provider: 'stripe'; publishableKey: string };

export function paymentConfig(): PaymentConfig {
  if (typeof document === 'undefined') return { provider: 'sandbox', publishableKey: '' };
  const key = document.querySelector('meta[name="mb:stripe-key"]')?.getAttribute('content') ?? '';
  return key ? { provider: 'stripe', publishableKey: key } : { provider: 'sandbox', publishableKey: '' };
}

export interface StripeCard {
  /** a PaymentMethod id for the order's paymentToken */
  paymentMethod(name: string): Promise<string>;
  destroy(): void;
}

interface StripeJs {
  elements(): { create(type: 'card'): { mount(el: HTMLElement): void; destroy(): void } };
  createPaymentMethod(o: unknown): Promise<{ paymentMethod?: { id: string }; error?: { message?: string } }>;
}

declare global {
  interface Window {
    Stripe?: (key: string) => StripeJs;
  }
}

function loadScript(): Promise<void> {
  if (window.Stripe) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    // Stripe requires Stripe.js from its own origin (PCI); only loaded when Stripe is configured
    s.src = 'https://js.stripe.com/v3/';
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('Stripe.js did not load'));
    document.head.append(s);
  });
}

export async function stripeCard(publishableKey: string, mount: HTMLElement): Promise<StripeCard> {
  await loadScript();
  const stripe = window.Stripe!(publishableKey);
  const card = stripe.elements().create('card');
  card.mount(mount);
  return {
    async paymentMethod(name) {
      const result = await stripe.createPaymentMethod({ type: 'card', card, billing_details: { name } });
      if (!result.paymentMethod) throw new Error(result.error?.message ?? 'The card was not accepted');
      return result.paymentMethod.id;
    },
    destroy: () => card.destroy(),
  };
}
