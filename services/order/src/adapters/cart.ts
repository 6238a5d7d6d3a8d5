// The buyer's cart as checkout sees it: the lines to order when the request names none.
import { currentTraceHeaders, Unauthorized, Unavailable } from '@microbazaar/kit';
import { type Dispatcher, Pool } from 'undici';
import type { WantedLine } from '../domain/order.js';

export interface CartReader {
  /** The lines of the cart of the user the access token belongs to. */
  lines(authorization: string, ctx?: { requestId?: string }): Promise<WantedLine[]>;
}

/** GET {CART_URL}/api/cart with the buyer's own token, over a keep-alive pool. */
export function httpCart(opts: { baseUrl: string; timeoutMs: number }): CartReader & { close(): Promise<void> } {
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: 32, connect: { timeout: opts.timeoutMs } });
  const unavailable = (cause: unknown) =>
    new Unavailable('The cart is unavailable, try again shortly', 'CART_UNAVAILABLE', cause);
  return {
    async lines(authorization, ctx = {}) {
      let res: Dispatcher.ResponseData;
      try {
        res = await pool.request({
          method: 'GET',
          path: `${prefix}/api/cart`,
          headers: {
            accept: 'application/json',
            authorization,
            ...(ctx.requestId ? { 'x-request-id': ctx.requestId } : {}),
            ...currentTraceHeaders(),
          },
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        });
      } catch (err) {
        throw unavailable(err);
      }
      if (res.statusCode === 401) {
        await res.body.dump();
        throw new Unauthorized();
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw unavailable(new Error(`cart service answered ${res.statusCode}`));
      }
      const body = (await res.body.json()) as { items?: Array<{ productId?: unknown; quantity?: unknown }> };
      return (body.items ?? [])
        .filter(
          (i): i is WantedLine =>
            typeof i.productId === 'string' && Number.isInteger(i.quantity) && (i.quantity as number) > 0,
        )
        .map((i) => ({ productId: i.productId, quantity: i.quantity }));
    },
    close: () => pool.close(),
  };
}
