// The catalog reads, named once: the pages, the server renderer and the prefetching share them.
import { infiniteQueryOptions, type QueryClient, queryOptions } from '@tanstack/react-query';
import { api, qs } from './api.js';
import type { Category, Page, Product, ProductPage } from './types.js';

export const PAGE_SIZE = 24;

export const SORTS = [
  { value: 'relevance', label: 'Relevance' },
  { value: 'price_asc', label: 'Price: low to high' },
  { value: 'price_desc', label: 'Price: high to low' },
  { value: 'newest', label: 'Newest' },
] as const;
export type Sort = (typeof SORTS)[number]['value'];

/** What a listing shows, as kept in its URL (so back, forward and shared links restore it). */
export interface ListingState {
  q: string;
  category: string;
  minPrice: number | undefined;
  maxPrice: number | undefined;
  /** attribute facets (brand, colour, material): each narrows the words searched */
  facets: Record<string, string>;
  sort: Sort | '';
  /** pages loaded with "Load more" */
  pages: number;
}

/** attributes offered as facets when the results have them */
export const FACET_KEYS = ['brand', 'colour', 'color', 'material', 'size'] as const;

const int = (v: string | null) => (v && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

export function readListing(params: URLSearchParams, category = ''): ListingState {
  const sort = params.get('sort') ?? '';
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    category: category || (params.get('category') ?? ''),
    minPrice: int(params.get('minPrice')),
    maxPrice: int(params.get('maxPrice')),
    facets: Object.fromEntries(
      FACET_KEYS.flatMap((k) => {
        const v = params.get(k);
        return v ? [[k, v.slice(0, 100)]] : [];
      }),
    ),
    sort: SORTS.some((s) => s.value === sort) ? (sort as Sort) : '',
    pages: Math.min(int(params.get('pages')) ?? 1, 20) || 1,
  };
}

/** The query the API gets: a brand facet narrows the words searched (attributes are searched). */
export function listingQuery(s: ListingState) {
  const facetWords = Object.values(s.facets).map((v) => `"${v.replace(/"/g, '')}"`);
  const words = [s.q, ...facetWords].filter(Boolean).join(' ');
  const sort = s.sort || undefined;
  return {
    q: words || undefined,
    category: s.category || undefined,
    minPrice: s.minPrice,
    maxPrice: s.maxPrice,
    // relevance needs words; without them the API's default (newest) applies
    sort: sort === 'relevance' && !words ? undefined : sort,
  };
}

export const productsQuery = (s: ListingState) => {
  const query = listingQuery(s);
  return infiniteQueryOptions({
    queryKey: ['products', query],
    queryFn: ({ pageParam, signal }) =>
      api<ProductPage>(`/api/products${qs({ ...query, limit: PAGE_SIZE, cursor: pageParam })}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
};

export const productQuery = (slug: string) =>
  queryOptions({
    queryKey: ['product', slug],
    queryFn: ({ signal }) => api<Product>(`/api/products/${encodeURIComponent(slug)}`, { signal }),
  });

export const categoriesQuery = () =>
  queryOptions({
    queryKey: ['categories'],
    queryFn: ({ signal }) => api<Page<Category>>('/api/categories?limit=100', { signal }),
    staleTime: 5 * 60_000,
  });

export const shelfQuery = (params: { category?: string; sort?: Sort; limit: number }) =>
  queryOptions({
    queryKey: ['shelf', params],
    queryFn: ({ signal }) => api<ProductPage>(`/api/products${qs(params)}`, { signal }),
  });

export const relatedQuery = (product: Pick<Product, 'category'>) =>
  shelfQuery({ ...(product.category ? { category: product.category } : {}), limit: 5 });

/** What the shopping assistant suggests with a product (or, without one, for this shopper). */
export interface Recommendation {
  id: string;
  slug: string;
  name: string;
  price: { amount: number; currency: string };
  image?: string;
}

export const recommendationsQuery = (productId?: string) =>
  queryOptions({
    queryKey: ['recommendations', productId ?? 'me'],
    queryFn: ({ signal }) =>
      api<{ items: Recommendation[]; kind: string }>(`/api/assistant/recommendations${qs({ productId, limit: 4 })}`, {
        signal,
      }),
    staleTime: 5 * 60_000,
    retry: false,
  });

export const HOME_SHELVES = {
  newest: { sort: 'newest', limit: 8 } as const,
  featured: { sort: 'price_desc', limit: 4 } as const,
};

/** Server rendering: fetch what a URL's page shows before rendering it. */
export async function prefetchFor(client: QueryClient, pathname: string, params: URLSearchParams): Promise<void> {
  const categories = client.prefetchQuery(categoriesQuery());
  if (pathname === '/') {
    await Promise.all([
      categories,
      client.prefetchQuery(shelfQuery(HOME_SHELVES.newest)),
      client.prefetchQuery(shelfQuery(HOME_SHELVES.featured)),
    ]);
    return;
  }
  const product = /^\/products\/([^/]+)$/.exec(pathname);
  if (product) {
    const slug = decodeURIComponent(product[1]!);
    // "You may also like" comes after hydration, from the assistant (the gateway renders only the catalog)
    await Promise.all([categories, client.prefetchQuery(productQuery(slug))]);
    return;
  }
  const category = /^\/categories\/([^/]+)$/.exec(pathname);
  if (category || pathname === '/search') {
    const state = readListing(params, category ? decodeURIComponent(category[1]!) : '');
    await Promise.all([categories, client.prefetchInfiniteQuery({ ...productsQuery(state), pages: 1 })]);
  }
}
