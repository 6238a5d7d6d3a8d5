// Home: categories, featured and newest products.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { GridSkeleton, ProductGrid } from '../components/product.js';
import { ErrorState } from '../components/ui.js';
import { useHead } from '../lib/hooks.js';
import { categoriesQuery, HOME_SHELVES, shelfQuery } from '../lib/queries.js';
import { homeHead } from '../lib/seo.js';

export default function Home() {
  useHead(homeHead);
  const categories = useQuery(categoriesQuery());
  const newest = useQuery(shelfQuery(HOME_SHELVES.newest));
  const featured = useQuery(shelfQuery(HOME_SHELVES.featured));
  return (
    <>
      <section className="hero" aria-labelledby="hero-title">
        <div>
          <h1 id="hero-title">Everyday things, fairly priced</h1>
          <p>Home, kitchen, outdoor and tech from independent sellers. Free returns for 30 days.</p>
          <Link to="/search?sort=newest" className="btn btn-primary">
            Shop what’s new
          </Link>
        </div>
        <ul className="hero-picks" aria-label="Picks">
          {(featured.data?.items ?? []).slice(0, 3).map((p) => (
            <li key={p.id}>
              <Link to={`/products/${p.slug}`}>
                {p.images[0] ? (
                  <img src={p.images[0].thumbnailUrl} alt={p.name} width={160} height={160} />
                ) : (
                  <span>{p.name}</span>
                )}
              </Link>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="categories-title" className="section">
        <h2 id="categories-title">Shop by category</h2>
        {categories.isError ? (
          <ErrorState error={categories.error} retry={() => categories.refetch()} />
        ) : (
          <ul className="category-tiles">
            {(categories.data?.items ?? []).map((c) => (
              <li key={c.slug}>
                <Link to={`/categories/${c.slug}`} className="category-tile">
                  {c.image && (
                    <img
                      className="category-picture"
                      src={c.image.thumbnailUrl}
                      srcSet={`${c.image.thumbnailUrl} 320w, ${c.image.mediumUrl} ${c.image.width}w`}
                      sizes="(max-width: 600px) 45vw, 190px"
                      width={c.image.width}
                      height={c.image.height}
                      alt=""
                      loading="lazy"
                    />
                  )}
                  <span className="category-name">{c.name}</span>
                  {c.description && <span className="category-desc">{c.description}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="featured-title" className="section">
        <h2 id="featured-title">Featured</h2>
        {featured.isError ? (
          <ErrorState error={featured.error} retry={() => featured.refetch()} />
        ) : featured.data ? (
          <ProductGrid products={featured.data.items} eagerFirst={4} />
        ) : (
          <GridSkeleton count={4} />
        )}
      </section>

      <section aria-labelledby="newest-title" className="section">
        <div className="section-head">
          <h2 id="newest-title">New in</h2>
          <Link to="/search?sort=newest">See all</Link>
        </div>
        {newest.isError ? (
          <ErrorState error={newest.error} retry={() => newest.refetch()} />
        ) : newest.data ? (
          <ProductGrid products={newest.data.items} />
        ) : (
          <GridSkeleton count={8} />
        )}
      </section>
    </>
  );
}
