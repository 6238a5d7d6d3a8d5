// The catalog as checkout sees it: current name, price, seller and status, read from the product service.
import { type ProductClient, type ProductSummary, readProductSummary } from '@microbazaar/contracts';
import { currentTraceHeaders, Unavailable } from '@microbazaar/kit';
import { type Dispatcher, Pool } from 'undici';
import type { CatalogProduct } from '../domain/order.js';

export interface Catalog {
  /** The products found, by id; unknown ids are absent. Throws Unavailable when the catalog cannot answer. */
  products(ids: readonly string[], ctx?: { requestId?: string }): Promise<Map<string, CatalogProduct>>;
}

/** GET {PRODUCT_URL}/api/products/:id for every line, in parallel, over a keep-alive pool. */
export function httpCatalog(opts: {
  baseUrl: string;
  timeoutMs: number;
}): Catalog & ProductClient & { close(): Promise<void> } {
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: 64, connect: { timeout: opts.timeoutMs } });
  const unavailable = (cause: unknown) =>
    new Unavailable('The catalog is unavailable, try again shortly', 'CATALOG_UNAVAILABLE', cause);

  async function one(id: string, requestId: string | undefined): Promise<ProductSummary | undefined> {
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({
        method: 'GET',
        path: `${prefix}/api/products/${encodeURIComponent(id)}`,
        headers: {
          accept: 'application/json',
          ...(requestId ? { 'x-request-id': requestId } : {}),
          ...currentTraceHeaders(),
        },
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
    } catch (err) {
      throw unavailable(err);
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw unavailable(new Error(`product service answered ${res.statusCode}`));
    }
    let product: ProductSummary | undefined;
    try {
      product = readProductSummary(await res.body.json());
    } catch (err) {
      throw unavailable(err);
    }
    if (!product) throw unavailable(new Error('product service answered an unreadable product'));
    // asked by slug, answered with the id: keep the id the caller asked with
    return product.id === id ? product : { ...product, id };
  }

  return {
    product: (id, ctx = {}) => one(id, ctx.requestId),
    async products(ids, ctx = {}) {
      const found = await Promise.all(ids.map((id) => one(id, ctx.requestId)));
      const map = new Map<string, CatalogProduct>();
      for (const p of found) if (p) map.set(p.id, p);
      return map;
    },
    close: () => pool.close(),
  };
}
