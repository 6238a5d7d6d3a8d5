// The product service as the read model's source: pages of the catalog for the backfill, one product on a change.
import { Unavailable } from '@microbazaar/kit';
import type { AttributeValue, CatalogItem, CategoryInfo } from '../domain/catalog.js';
import { type CallContext, jsonClient } from './http.js';

export interface CatalogPage {
  items: CatalogItem[];
  nextCursor: string | null;
}

export interface CatalogSource {
  /** one page of active products, newest first; `cursor` from the previous page */
  page(cursor: string | null, limit: number, ctx?: CallContext): Promise<CatalogPage>;
  /** the product now, archived ones included; undefined when it does not exist */
  product(id: string, ctx?: CallContext): Promise<CatalogItem | undefined>;
  categories(ctx?: CallContext): Promise<CategoryInfo[]>;
  close(): Promise<void>;
}

interface ProductBody {
  id?: unknown;
  slug?: unknown;
  name?: unknown;
  description?: unknown;
  category?: unknown;
  attributes?: unknown;
  price?: { amount?: unknown; currency?: unknown };
  stock?: unknown;
  status?: unknown;
  sellerId?: unknown;
  images?: Array<{ thumbnailUrl?: unknown; url?: unknown }>;
  createdAt?: unknown;
  updatedAt?: unknown;
}

function attributesOf(value: unknown): Record<string, AttributeValue> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, AttributeValue> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (Array.isArray(v)) out[key] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/** A product as the product API answers it, or undefined when a field the read model needs is missing. */
export function parseProduct(body: ProductBody): CatalogItem | undefined {
  const { id, slug, name, price, sellerId } = body;
  if (typeof id !== 'string' || typeof slug !== 'string' || typeof name !== 'string') return undefined;
  if (!price || !Number.isSafeInteger(price.amount) || typeof price.currency !== 'string') return undefined;
  const image = body.images?.[0];
  const thumbnail = typeof image?.thumbnailUrl === 'string' ? image.thumbnailUrl : undefined;
  const now = new Date().toISOString();
  return {
    id,
    slug,
    name,
    description: typeof body.description === 'string' ? body.description : '',
    category: typeof body.category === 'string' ? body.category : null,
    attributes: attributesOf(body.attributes),
    price: { amount: price.amount as number, currency: price.currency },
    stock: typeof body.stock === 'number' ? Math.max(0, Math.trunc(body.stock)) : 0,
    status: typeof body.status === 'string' ? body.status : 'active',
    sellerId: typeof sellerId === 'string' ? sellerId : '00000000-0000-0000-0000-000000000000',
    image: thumbnail,
    createdAt: typeof body.createdAt === 'string' ? body.createdAt : now,
    updatedAt: typeof body.updatedAt === 'string' ? body.updatedAt : now,
  };
}

export function httpCatalogSource(opts: { baseUrl: string; timeoutMs: number }): CatalogSource {
  const client = jsonClient({ ...opts, code: 'CATALOG_UNAVAILABLE', what: 'catalog' });
  const unreadable = (status: number) =>
    new Unavailable(`The catalog answered ${status}`, 'CATALOG_UNAVAILABLE', new Error(`status ${status}`));
  return {
    async page(cursor, limit, ctx) {
      const query = new URLSearchParams({ limit: String(limit), sort: 'newest' });
      if (cursor) query.set('cursor', cursor);
      const res = await client.request('GET', `/api/products?${query}`, ctx);
      if (res.status !== 200) throw unreadable(res.status);
      const body = res.body as { items?: ProductBody[]; nextCursor?: unknown };
      const items = (body.items ?? []).map(parseProduct).filter((p): p is CatalogItem => p !== undefined);
      return { items, nextCursor: typeof body.nextCursor === 'string' ? body.nextCursor : null };
    },
    async product(id, ctx) {
      const res = await client.request('GET', `/api/products/${encodeURIComponent(id)}`, ctx);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw unreadable(res.status);
      return parseProduct(res.body as ProductBody);
    },
    async categories(ctx) {
      const out: CategoryInfo[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query = new URLSearchParams({ limit: '100' });
        if (cursor) query.set('cursor', cursor);
        const res = await client.request('GET', `/api/categories?${query}`, ctx);
        if (res.status !== 200) throw unreadable(res.status);
        const body = res.body as { items?: Array<Record<string, unknown>>; nextCursor?: unknown };
        for (const c of body.items ?? []) {
          if (typeof c.slug === 'string' && typeof c.name === 'string') {
            out.push({
              slug: c.slug,
              name: c.name,
              description: typeof c.description === 'string' ? c.description : '',
            });
          }
        }
        cursor = typeof body.nextCursor === 'string' ? body.nextCursor : null;
        if (!cursor) break;
      }
      return out;
    },
    close: () => client.close(),
  };
}
