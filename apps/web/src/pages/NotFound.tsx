// The 404 page (the server answers these URLs with status 404 too).
import { Link } from 'react-router';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';

export default function NotFound({ what = 'page' }: { what?: 'page' | 'product' | 'category' | 'order' }) {
  useHead(simpleHead('Not found'));
  return (
    <section className="not-found">
      <p className="eyebrow">404</p>
      <h1>{what === 'page' ? 'We can’t find that page' : `We can’t find that ${what}`}</h1>
      <p>It may have moved or been taken off the shelves. Try a search, or start from the home page.</p>
      <p className="actions">
        <Link to="/" className="btn btn-primary">
          Go to the home page
        </Link>
        <Link to="/search" className="btn btn-secondary">
          Browse all products
        </Link>
      </p>
    </section>
  );
}
