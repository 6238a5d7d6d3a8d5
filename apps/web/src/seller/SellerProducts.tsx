// My products: a table with search and paging; the archived ones on their own tab, with Restore.
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorState, Loading, Price } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { LoadMore, useCursorList } from '../lib/paged.js';
import { simpleHead } from '../lib/seo.js';
import { useUser } from '../lib/session.js';
import type { Product } from '../lib/types.js';

const head = simpleHead('Your products');

export default function SellerProducts() {
  useHead(head);
  const user = useUser()!;
  const [params, setParams] = useSearchParams();
  const archived = params.get('status') === 'archived';
  // the archived list is by seller alone (no search)
  const q = archived ? '' : (params.get('q') ?? '');
  const [text, setText] = useState(q);
  const client = useQueryClient();
  const [restoreError, setRestoreError] = useState<string | null>(null);
  const { list, items } = useCursorList<Product>(['seller-products', user.id, q, archived], (cursor) =>
    archived
      ? `/api/products${qs({ sellerId: user.id, status: 'archived', limit: 20, cursor })}`
      : `/api/products${qs({ sellerId: user.id, q, sort: q ? undefined : 'newest', limit: 20, cursor })}`,
  );
  const restore = async (p: Product) => {
    setRestoreError(null);
    try {
      await api(`/api/products/${p.id}`, { method: 'PATCH', json: { status: 'active' } });
      await client.invalidateQueries({ queryKey: ['seller-products'] });
    } catch (err) {
      setRestoreError(`${p.name}: ${(err as Error).message}`);
    }
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <>
      <div className="section-head">
        <h1>Your products</h1>
        <Link to="/seller/products/new" className="btn btn-primary">
          New product
        </Link>
      </div>
      <nav aria-label="Which products" className="row-actions">
        <Link to="/seller" aria-current={archived ? undefined : 'page'} className="btn btn-secondary btn-small">
          On sale
        </Link>
        <Link
          to="/seller?status=archived"
          aria-current={archived ? 'page' : undefined}
          className="btn btn-secondary btn-small"
        >
          Archived
        </Link>
      </nav>
      {!archived && (
        <search>
          <form className="toolbar" onSubmit={search}>
            <div className="field">
              <label htmlFor="seller-q">Search your products</label>
              <input
                id="seller-q"
                type="search"
                value={text}
                onChange={(e) => setText(e.target.value)}
                maxLength={200}
              />
            </div>
            <button type="submit" className="btn btn-secondary">
              Search
            </button>
          </form>
        </search>
      )}
      {restoreError && (
        <p className="field-error" role="alert">
          {restoreError}
        </p>
      )}
      {list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading your products" />
      ) : items.length === 0 ? (
        <p className="empty">
          {archived
            ? 'You have no archived products.'
            : q
              ? `None of your products match “${q}”.`
              : 'You have no products yet. Create your first one.'}
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{archived ? 'Your archived products' : 'Your products'}</caption>
            <thead>
              <tr>
                <th scope="col">Picture</th>
                <th scope="col">Name</th>
                <th scope="col">Price</th>
                <th scope="col">Stock</th>
                <th scope="col">Category</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td className="thumb-cell">
                    {p.images[0] ? <img src={p.images[0].thumbnailUrl} alt="" width={48} height={48} /> : '—'}
                  </td>
                  <td>{archived ? p.name : <Link to={`/products/${p.slug}`}>{p.name}</Link>}</td>
                  <td>
                    <Price money={p.price} />
                  </td>
                  <td>{p.stock}</td>
                  <td>{p.category ?? '—'}</td>
                  <td>
                    <Link to={`/seller/products/${p.id}`} aria-label={`Edit ${p.name}`}>
                      Edit
                    </Link>
                    {archived && (
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => restore(p)}
                        aria-label={`Restore ${p.name}`}
                      >
                        Restore
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </>
  );
}
