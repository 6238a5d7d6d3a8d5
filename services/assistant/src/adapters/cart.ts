// The cart service, called with the customer's own token (or a guest's cart id).
import { Unavailable } from '@microbazaar/kit';
import { type CallContext, errorMessage, jsonClient } from './http.js';

export type AddOutcome = { ok: true } | { ok: false; status: number; message: string };

export interface CartClient {
  /** product ids in the caller's cart */
  productIds(ctx: CallContext): Promise<string[]>;
  add(productId: string, quantity: number, ctx: CallContext): Promise<AddOutcome>;
  close(): Promise<void>;
}

export function httpCart(opts: { baseUrl: string; timeoutMs: number }): CartClient {
  const client = jsonClient({ ...opts, code: 'CART_UNAVAILABLE', what: 'cart service' });
  return {
    async productIds(ctx) {
      const res = await client.request('GET', '/api/cart', ctx);
      if (res.status !== 200) {
        throw new Unavailable(
          'The cart is unavailable, try again shortly',
          'CART_UNAVAILABLE',
          new Error(`status ${res.status}`),
        );
      }
      const items = (res.body as { items?: Array<{ productId?: unknown }> }).items ?? [];
      return items.map((i) => i.productId).filter((id): id is string => typeof id === 'string');
    },
    async add(productId, quantity, ctx) {
      const res = await client.request('POST', '/api/cart/items', ctx, { productId, quantity });
      if (res.status === 200 || res.status === 201) return { ok: true };
      if (res.status >= 500) {
        throw new Unavailable(
          'The cart is unavailable, try again shortly',
          'CART_UNAVAILABLE',
          new Error(`status ${res.status}`),
        );
      }
      return { ok: false, status: res.status, message: errorMessage(res.body) ?? `the cart answered ${res.status}` };
    },
    close: () => client.close(),
  };
}
