// Product page: gallery, price, stock, quantity, "Add to cart", breadcrumbs, related products.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Picture, ProductGrid, RecommendationGrid } from '../components/product.js';
import { ErrorState, Loading, Price } from '../components/ui.js';
import { ApiError } from '../lib/api.js';
import { useAddToCart } from '../lib/cart.js';
import { stockWords } from '../lib/format.js';
import { useHead, useHydrated } from '../lib/hooks.js';
import { categoriesQuery, productQuery, recommendationsQuery, relatedQuery } from '../lib/queries.js';
import { productHead } from '../lib/seo.js';
import type { Product } from '../lib/types.js';
import NotFound from './NotFound.js';

const GALLERY_SIZES = '(max-width: 800px) 100vw, 560px';

function Gallery({ product }: { product: Product }) {
  const [index, setIndex] = useState(0);
  const images = product.images;
  const current = images[Math.min(index, images.length - 1)];
  return (
    <div className="gallery">
      <div className="gallery-main">
        <Picture image={current} alt={product.name} sizes={GALLERY_SIZES} eager={index === 0} />
      </div>
      {images.length > 1 && (
        <ul className="gallery-thumbs" aria-label="Pictures">
          {images.map((img, i) => (
            <li key={img.id}>
              <button
                type="button"
                aria-label={`Picture ${i + 1} of ${images.length}`}
                aria-pressed={i === index}
                onClick={() => setIndex(i)}
              >
                <img src={img.thumbnailUrl} alt="" width={72} height={72} loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AddToCart({ product }: { product: Product }) {
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<string | null>(null);
  const add = useAddToCart();
  const soldOut = product.stock <= 0 || product.status === 'archived';
  const max = Math.max(1, Math.min(product.stock, 99));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    add.mutate(
      { productId: product.id, quantity },
      { onSuccess: () => setAdded(`${quantity} × ${product.name} added to your cart.`) },
    );
  };
  return (
    <form className="buy" onSubmit={submit}>
      <div className="field field-inline">
        <label htmlFor="quantity">Quantity</label>
        <input
          id="quantity"
          type="number"
          min={1}
          max={max}
          value={quantity}
          disabled={soldOut}
          onChange={(e) => setQuantity(Math.max(1, Math.min(max, Number(e.target.value) || 1)))}
        />
      </div>
      <button type="submit" className="btn btn-primary btn-large" disabled={soldOut || add.isPending}>
        {add.isPending ? 'Adding…' : 'Add to cart'}
      </button>
      <div aria-live="polite" className="buy-status">
        {added && (
          <p className="success">
            {added} <Link to="/cart">View cart</Link>
          </p>
        )}
        {add.error && (
          <p className="field-error">
            {add.error instanceof ApiError && add.error.status === 409
              ? `Only ${product.stock} available.`
              : add.error.message}
          </p>
        )}
      </div>
    </form>
  );
}

function Attributes({ product }: { product: Product }) {
  const entries = Object.entries(product.attributes).filter(([, v]) => v !== '' && v !== null);
  if (!entries.length) return null;
  return (
    <dl className="attributes">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k.replace(/[_-]/g, ' ')}</dt>
          <dd>{Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function ProductPage() {
  const { slug = '' } = useParams();
  const product = useQuery(productQuery(slug));
  const categories = useQuery(categoriesQuery());
  // after hydration (never on the server): the assistant's picks, the same category when it is unavailable
  const hydrated = useHydrated();
  const recommended = useQuery({ ...recommendationsQuery(product.data?.id), enabled: hydrated && !!product.data });
  const related = useQuery({
    ...relatedQuery(product.data ?? { category: null }),
    enabled: hydrated && !!product.data && (recommended.isError || recommended.data?.items.length === 0),
  });
  useHead(product.data ? productHead(product.data) : null);

  if (product.error instanceof ApiError && (product.error.status === 404 || product.error.status === 400)) {
    return <NotFound what="product" />;
  }
  if (product.isError) return <ErrorState error={product.error} retry={() => product.refetch()} />;
  if (!product.data) return <Loading label="Loading the product" />;

  const p = product.data;
  // archived: still readable by its orders through the API, but gone from the shop
  if (p.status === 'archived') return <NotFound what="product" />;
  const category = categories.data?.items.find((c) => c.slug === p.category);
  const stock = stockWords(p.stock);
  const picks = (recommended.data?.items ?? []).filter((r) => r.id !== p.id).slice(0, 4);
  const others = (related.data?.items ?? []).filter((r) => r.id !== p.id).slice(0, 4);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumbs">
        <ol>
          <li>
            <Link to="/">Home</Link>
          </li>
          {p.category && (
            <li>
              <Link to={`/categories/${p.category}`}>{category?.name ?? p.category}</Link>
            </li>
          )}
          <li aria-current="page">{p.name}</li>
        </ol>
      </nav>
      <div className="product">
        <Gallery product={p} />
        <div className="product-info">
          {typeof p.attributes.brand === 'string' && <p className="eyebrow">{p.attributes.brand}</p>}
          <h1>{p.name}</h1>
          <p className="product-price">
            <Price money={p.price} />
          </p>
          <p className={`stock stock-${stock.tone}`}>{stock.text}</p>
          <AddToCart product={p} />
          <div className="description">
            {p.description.split(/\n{2,}/).map((para, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs of one text, never reordered
              <p key={i}>{para}</p>
            ))}
          </div>
          <Attributes product={p} />
        </div>
      </div>
      {(picks.length > 0 || others.length > 0) && (
        <section aria-labelledby="related-title" className="section">
          <h2 id="related-title">You may also like</h2>
          {picks.length > 0 ? <RecommendationGrid items={picks} /> : <ProductGrid products={others} />}
        </section>
      )}
    </>
  );
}
