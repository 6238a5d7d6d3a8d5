// The product service, asked only about a product the read model has not heard of yet (it came before this service).
import { type ProductClient, readProductSummary } from '@microbazaar/contracts';
import { currentTraceHeaders, Unavailable } from '@microbazaar/kit';

export function httpCatalogLookup(opts: { baseUrl: string; timeoutMs: number }): ProductClient {
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
      const product = readProductSummary(await res.json());
      // asked by id: an answer about another product is no answer
      return product?.id === id ? product : undefined;
    },
  };
}
