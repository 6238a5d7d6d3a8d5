// The product service, asked only about a product the read model has not heard of yet (it came before this service).
import { currentTraceHeaders, Unavailable } from '@microbazaar/kit';
import type { ProductView } from '../domain/cart.js';

export interface CatalogLookup {
  product(id: string, ctx?: { requestId?: string }): Promise<ProductView | undefined>;
}

export function httpCatalogLookup(opts: { baseUrl: string; timeoutMs: number }): CatalogLookup {
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    async product(id, ctx = {}) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/products/${encodeURIComponent(id)}`, {
          headers: {
            accept: 'application/json',
            ...(ctx.requestId ? { 'x-request-id': ctx.requestId } : {}),
            ...currentTraceHeaders(),
          },
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        throw new Unavailable('The catalog is unavailable, try again shortly', 'CATALOG_UNAVAILABLE', err);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new Unavailable('The catalog is unavailable, try again shortly', 'CATALOG_UNAVAILABLE');
      }
      const p = (await res.json()) as {
        id?: string;
        name?: string;
        slug?: string;
        sellerId?: string;
        stock?: number;
        status?: string;
        price?: { amount?: number; currency?: string };
      };
      if (p.id !== id || typeof p.name !== 'string' || !p.price || typeof p.price.amount !== 'number') return undefined;
      return {
        productId: id,
        name: p.name,
        price: { amount: p.price.amount, currency: p.price.currency ?? 'USD' },
        stock: typeof p.stock === 'number' ? p.stock : 0,
        status: p.status ?? 'active',
        sellerId: p.sellerId ?? '',
        slug: p.slug ?? id,
        // what we read now is at least as new as any event that occurred before now
        version: Date.now(),
      };
    },
  };
}
