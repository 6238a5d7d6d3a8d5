// Product pictures (renditions as srcset, dimensions set so nothing shifts) and the product card.
import { Link } from 'react-router';
import { stockWords } from '../lib/format.js';
import type { Recommendation } from '../lib/queries.js';
import type { Product, ProductImage } from '../lib/types.js';
import { Price } from './ui.js';

/** Renditions fit inside a square box of this many pixels and are never enlarged (product service). */
const THUMB = 320;
const MEDIUM = 1024;

function fitted(img: ProductImage, box: number): number {
  return Math.round(img.width * Math.min(1, box / Math.max(img.width, img.height)));
}

export function srcSet(img: ProductImage): string {
  const parts = [`${img.thumbnailUrl} ${fitted(img, THUMB)}w`];
  if (Math.max(img.width, img.height) > THUMB) parts.push(`${img.mediumUrl} ${fitted(img, MEDIUM)}w`);
  if (Math.max(img.width, img.height) > MEDIUM) parts.push(`${img.url} ${img.width}w`);
  return parts.join(', ');
}

interface PictureProps {
  image: ProductImage | undefined;
  alt: string;
  sizes: string;
  /** above the fold: load now, high priority (the product page's main picture is its LCP element) */
  eager?: boolean;
  className?: string;
}

export function Picture({ image, alt, sizes, eager, className }: PictureProps) {
  if (!image) {
    return (
      <div className={`picture picture-empty ${className ?? ''}`} role="img" aria-label={alt}>
        <span aria-hidden="true">No picture yet</span>
      </div>
    );
  }
  return (
    <img
      className={`picture ${className ?? ''}`}
      src={image.mediumUrl}
      srcSet={srcSet(image)}
      sizes={sizes}
      width={image.width}
      height={image.height}
      alt={alt}
      loading={eager ? 'eager' : 'lazy'}
      decoding={eager ? 'sync' : 'async'}
      {...(eager ? { fetchPriority: 'high' as const } : {})}
    />
  );
}

export function ProductCard({ product, eager }: { product: Product; eager?: boolean }) {
  const stock = stockWords(product.stock);
  const brand = typeof product.attributes.brand === 'string' ? product.attributes.brand : null;
  return (
    <article className="card">
      <Link to={`/products/${product.slug}`} className="card-link">
        <Picture
          image={product.images[0]}
          alt={product.name}
          sizes="(max-width: 600px) 50vw, (max-width: 1100px) 33vw, 260px"
          eager={eager ?? false}
          className="card-picture"
        />
        <span className="card-body">
          {brand && <span className="card-brand">{brand}</span>}
          <span className="card-name">{product.name}</span>
        </span>
      </Link>
      <p className="card-meta">
        <Price money={product.price} />
        {stock.tone !== 'ok' && <span className={`stock stock-${stock.tone}`}>{stock.text}</span>}
      </p>
    </article>
  );
}

export function ProductGrid({ products, eagerFirst = 0 }: { products: Product[]; eagerFirst?: number }) {
  return (
    <ul className="grid">
      {products.map((p, i) => (
        <li key={p.id}>
          <ProductCard product={p} eager={i < eagerFirst} />
        </li>
      ))}
    </ul>
  );
}

export function GridSkeleton({ count = 8 }: { count?: number }) {
  return (
    <ul className="grid" aria-hidden="true">
      {Array.from({ length: count }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders without identity
        <li key={i}>
          <div className="card card-skeleton">
            <div className="picture skeleton-block" />
            <div className="skeleton-line" />
            <div className="skeleton-line short" />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** Products the assistant recommends (id, name, price, one picture): cards like the catalog's. */
export function RecommendationGrid({ items }: { items: Recommendation[] }) {
  return (
    <ul className="grid">
      {items.map((p) => (
        <li key={p.id}>
          <article className="card">
            <Link to={`/products/${p.slug}`} className="card-link">
              {p.image ? (
                <img
                  className="picture card-picture"
                  src={p.image}
                  alt={p.name}
                  width={320}
                  height={320}
                  loading="lazy"
                />
              ) : (
                <div className="picture picture-empty card-picture" role="img" aria-label={p.name} />
              )}
              <span className="card-body">
                <span className="card-name">{p.name}</span>
              </span>
            </Link>
            <p className="card-meta">
              <Price money={p.price} />
            </p>
          </article>
        </li>
      ))}
    </ul>
  );
}
