// The cart: lines with quantity and remove, subtotal, checkout; a guest's cart survives reloads.
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Picture, RecommendationGrid } from '../components/product.js';
import { ErrorState, Loading, Price } from '../components/ui.js';
import { useCart, useChangeQuantity, useRemoveLine } from '../lib/cart.js';
import { useHead } from '../lib/hooks.js';
import { productQuery, recommendationsQuery } from '../lib/queries.js';
import { simpleHead } from '../lib/seo.js';
import type { CartLine } from '../lib/types.js';

const head = simpleHead('Your cart');

function Line({
  line,
  slug,
  image,
}: {
  line: CartLine;
  slug?: string;
  image?: Parameters<typeof Picture>[0]['image'];
}) {
  const change = useChangeQuantity();
  const remove = useRemoveLine();
  const max = Math.max(line.quantity, Math.min(99, line.available));
  const error = change.error ?? remove.error;
  return (
    <li className="cart-line">
      <Picture image={image} alt={line.name} sizes="96px" className="cart-picture" />
      <div className="cart-line-info">
        <h2 className="cart-line-name">{slug ? <Link to={`/products/${slug}`}>{line.name}</Link> : line.name}</h2>
        <p className="muted">
          <Price money={line.unitPrice} /> each
        </p>
        {line.available < line.quantity && (
          <p className="field-error">
            {line.available === 0 ? 'Sold out now' : `Only ${line.available} available now`}
          </p>
        )}
        {error && <p className="field-error">{error.message}</p>}
      </div>
      <div className="cart-line-actions">
        <label className="visually-hidden" htmlFor={`qty-${line.productId}`}>
          Quantity
        </label>
        <select
          id={`qty-${line.productId}`}
          aria-label={`Quantity, ${line.name}`}
          value={line.quantity}
          disabled={change.isPending}
          onChange={(e) => change.mutate({ productId: line.productId, quantity: Number(e.target.value) })}
        >
          {Array.from({ length: Math.max(max, 1) }, (_, i) => i + 1).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="link-button"
          aria-label={`Remove ${line.name}`}
          disabled={remove.isPending}
          onClick={() => remove.mutate({ productId: line.productId })}
        >
          Remove
        </button>
      </div>
      <p className="cart-line-total">
        <Price money={{ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency }} />
      </p>
    </li>
  );
}

export default function CartPage() {
  useHead(head);
  const cart = useCart();
  const lines = cart.data?.items ?? [];
  // pictures and links come from the catalog
  const products = useQueries({ queries: lines.map((l) => ({ ...productQuery(l.productId), staleTime: 60_000 })) });
  // the assistant's picks for the first line (or for this shopper when the cart is empty); nothing when it is off
  const recommended = useQuery({ ...recommendationsQuery(lines[0]?.productId), enabled: cart.isSuccess });
  const inCart = new Set(lines.map((l) => l.productId));
  const picks = (recommended.data?.items ?? []).filter((r) => !inCart.has(r.id)).slice(0, 4);
  const alsoLike =
    picks.length > 0 ? (
      <section aria-labelledby="cart-recs-title" className="section">
        <h2 id="cart-recs-title">You may also like</h2>
        <RecommendationGrid items={picks} />
      </section>
    ) : null;
  if (cart.isError) {
    return (
      <>
        <h1>Your cart</h1>
        <ErrorState error={cart.error} retry={() => cart.refetch()} />
      </>
    );
  }
  if (!cart.data) {
    return (
      <>
        <h1>Your cart</h1>
        <Loading label="Loading your cart" />
      </>
    );
  }
  if (lines.length === 0) {
    return (
      <section className="empty">
        <h1>Your cart is empty</h1>
        <p>Find something you like and it will wait for you here, even after a reload.</p>
        <Link to="/" className="btn btn-primary">
          Start shopping
        </Link>
        {alsoLike}
      </section>
    );
  }
  const blocked = lines.some((l) => l.available < l.quantity);
  return (
    <>
      <h1>Your cart</h1>
      <div className="cart">
        <ul className="cart-lines">
          {lines.map((l, i) => {
            const p = products[i]?.data;
            return <Line key={l.productId} line={l} {...(p ? { slug: p.slug, image: p.images[0] } : {})} />;
          })}
        </ul>
        <aside className="summary" aria-label="Order summary">
          <h2>Summary</h2>
          <dl>
            <div>
              <dt>Subtotal</dt>
              <dd>
                <Price money={cart.data.subtotal} />
              </dd>
            </div>
            <div>
              <dt>Shipping</dt>
              <dd>Free</dd>
            </div>
          </dl>
          {blocked && <p className="field-error">Lower the quantities marked above to check out.</p>}
          {blocked ? (
            <button type="button" className="btn btn-primary btn-block" disabled>
              Checkout
            </button>
          ) : (
            <Link to="/checkout" className="btn btn-primary btn-block">
              Checkout
            </Link>
          )}
        </aside>
      </div>
      {alsoLike}
    </>
  );
}
