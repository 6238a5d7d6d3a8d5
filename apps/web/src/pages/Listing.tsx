// Category and search results: facets from the data, sort, "Load more" paging, all kept in the URL.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { GridSkeleton, ProductGrid } from '../components/product.js';
import { ErrorState } from '../components/ui.js';
import { formatMoney, parsePrice, priceInput, resultCount } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { categoriesQuery, FACET_KEYS, productsQuery, readListing, SORTS } from '../lib/queries.js';
import { categoryHead, searchHead } from '../lib/seo.js';
import type { Product } from '../lib/types.js';
import NotFound from './NotFound.js';

const FACET_LABELS: Record<string, string> = {
  brand: 'Brand',
  colour: 'Colour',
  color: 'Color',
  material: 'Material',
  size: 'Size',
};

/** Values of each attribute facet among the loaded results, most common first. */
function facetValues(items: Product[]): Array<[string, Array<[string, number]>]> {
  const out: Array<[string, Array<[string, number]>]> = [];
  for (const key of FACET_KEYS) {
    const counts = new Map<string, number>();
    for (const p of items) {
      const v = p.attributes[key];
      if (typeof v === 'string' && v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    if (counts.size > 1) out.push([key, [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8)]);
  }
  return out;
}

export default function Listing() {
  const { slug = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const state = readListing(params, slug);
  const categories = useQuery(categoriesQuery());
  const category = categories.data?.items.find((c) => c.slug === slug);
  const results = useInfiniteQuery(productsQuery(state));
  const items = useMemo(() => results.data?.pages.flatMap((p) => p.items) ?? [], [results.data]);
  const first = results.data?.pages[0];

  useHead(slug ? categoryHead(slug, category) : searchHead(state.q));

  // restore "Load more" from the URL (a shared link or back/forward to a longer list)
  const loaded = results.data?.pages.length ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = results;
  useEffect(() => {
    if (loaded > 0 && loaded < state.pages && hasNextPage && !isFetchingNextPage) fetchNextPage();
  }, [loaded, state.pages, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const update = (change: Record<string, string | null>, keepPages = false) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    if (!keepPages) next.delete('pages');
    setParams(next, { preventScrollReset: true });
  };

  const [min, setMin] = useState(state.minPrice !== undefined ? priceInput(state.minPrice) : '');
  const [max, setMax] = useState(state.maxPrice !== undefined ? priceInput(state.maxPrice) : '');
  const [priceError, setPriceError] = useState<string | null>(null);
  const applyPrice = (e: FormEvent) => {
    e.preventDefault();
    const lo = min.trim() ? parsePrice(min) : null;
    const hi = max.trim() ? parsePrice(max) : null;
    if ((min.trim() && lo === null) || (max.trim() && hi === null))
      return setPriceError('Enter prices like 20 or 19.99');
    if (lo !== null && hi !== null && lo > hi) return setPriceError('The lowest price is above the highest');
    setPriceError(null);
    update({ minPrice: lo === null ? null : String(lo), maxPrice: hi === null ? null : String(hi) });
  };

  if (slug && categories.isSuccess && !category) return <NotFound what="category" />;

  const title = slug ? (category?.name ?? '') : state.q ? `Results for “${state.q}”` : 'All products';
  const facets = facetValues(items);
  const filtered = state.minPrice !== undefined || state.maxPrice !== undefined || Object.keys(state.facets).length > 0;

  return (
    <div className="listing">
      <nav aria-label="Breadcrumb" className="breadcrumbs">
        <ol>
          <li>
            <Link to="/">Home</Link>
          </li>
          <li aria-current="page">{slug ? (category?.name ?? slug) : 'Search'}</li>
        </ol>
      </nav>
      <div className="listing-head">
        <div>
          <h1>{title || '\u00a0'}</h1>
          <p className="muted" aria-live="polite">
            {first ? resultCount(first.total, first.totalExact) : '\u00a0'}
          </p>
        </div>
        <div className="sort">
          <label htmlFor="sort">Sort by</label>
          <select
            id="sort"
            value={state.sort || (state.q ? 'relevance' : 'newest')}
            onChange={(e) => update({ sort: e.target.value })}
          >
            {SORTS.filter((s) => s.value !== 'relevance' || state.q || Object.keys(state.facets).length).map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="listing-body">
        <aside className="facets" aria-label="Filters">
          <details open className="facet">
            <summary>Category</summary>
            <ul>
              <li>
                <Link
                  to={`/search${state.q ? `?q=${encodeURIComponent(state.q)}` : ''}`}
                  aria-current={!slug ? 'page' : undefined}
                >
                  All categories
                </Link>
              </li>
              {(categories.data?.items ?? []).map((c) => (
                <li key={c.slug}>
                  <Link
                    to={`/categories/${c.slug}${state.q ? `?q=${encodeURIComponent(state.q)}` : ''}`}
                    aria-current={c.slug === slug ? 'page' : undefined}
                  >
                    {c.name}
                  </Link>
                </li>
              ))}
            </ul>
          </details>
          <details open className="facet">
            <summary>Price</summary>
            <form onSubmit={applyPrice} className="price-form" noValidate>
              <label>
                <span>Min</span>
                <input inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} placeholder="0" />
              </label>
              <label>
                <span>Max</span>
                <input inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} placeholder="any" />
              </label>
              <button type="submit" className="btn btn-secondary btn-small">
                Apply
              </button>
              {priceError && <p className="field-error">{priceError}</p>}
            </form>
          </details>
          {facets.map(([key, values]) => (
            <details open className="facet" key={key}>
              <summary>{FACET_LABELS[key] ?? key}</summary>
              <ul>
                {values.map(([v, n]) => {
                  const on = state.facets[key] === v;
                  return (
                    <li key={v}>
                      <label className="check">
                        <input type="checkbox" checked={on} onChange={() => update({ [key]: on ? null : v })} />
                        {v} <span className="muted">({n})</span>
                      </label>
                    </li>
                  );
                })}
              </ul>
            </details>
          ))}
          {Object.entries(state.facets).map(([key, v]) =>
            facets.some(([k]) => k === key) ? null : (
              <p key={key} className="active-facet">
                {FACET_LABELS[key] ?? key}: {v}{' '}
                <button type="button" className="link-button" onClick={() => update({ [key]: null })}>
                  Remove
                </button>
              </p>
            ),
          )}
          {filtered && (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setMin('');
                setMax('');
                update(Object.fromEntries([...FACET_KEYS, 'minPrice', 'maxPrice'].map((k) => [k, null])));
              }}
            >
              Clear filters
            </button>
          )}
        </aside>
        <section aria-label="Results" className="results">
          {results.isError && !items.length ? (
            <ErrorState error={results.error} retry={() => results.refetch()} />
          ) : results.isPending ? (
            <GridSkeleton count={8} />
          ) : items.length === 0 ? (
            <div className="empty">
              <h2>No products match</h2>
              <p>
                {state.q ? (
                  <>
                    Nothing matches “{state.q}”{filtered ? ' with these filters' : ''}.{' '}
                  </>
                ) : null}
                Check the spelling, use fewer words, or try one of these:
              </p>
              <ul className="chips">
                {filtered && (
                  <li>
                    <button
                      type="button"
                      className="chip"
                      onClick={() =>
                        update(Object.fromEntries([...FACET_KEYS, 'minPrice', 'maxPrice'].map((k) => [k, null])))
                      }
                    >
                      Clear filters
                    </button>
                  </li>
                )}
                {(categories.data?.items ?? []).slice(0, 6).map((c) => (
                  <li key={c.slug}>
                    <Link className="chip" to={`/categories/${c.slug}`}>
                      {c.name}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          ) : (
            <>
              <ProductGrid products={items} eagerFirst={4} />
              {results.isError && <ErrorState error={results.error} retry={() => results.fetchNextPage()} />}
              <div className="load-more">
                <p className="muted">
                  Showing {items.length.toLocaleString('en-US')} of{' '}
                  {first ? resultCount(first.total, first.totalExact) : ''}
                  {state.minPrice !== undefined || state.maxPrice !== undefined
                    ? ` (${state.minPrice !== undefined ? formatMoney({ amount: state.minPrice, currency: 'USD' }) : ''}–${state.maxPrice !== undefined ? formatMoney({ amount: state.maxPrice, currency: 'USD' }) : ''})`
                    : ''}
                </p>
                {results.hasNextPage && (
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={results.isFetchingNextPage}
                    onClick={() => update({ pages: String(loaded + 1) }, true)}
                  >
                    {results.isFetchingNextPage ? 'Loading…' : 'Load more'}
                  </button>
                )}
              </div>
            </>
          )}
        </section>
      </div>
    </div>
  );
}
