// Every page's frame: skip link, header (search, account, bell, cart), category nav, main, footer.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { AssistantSlot } from '../assistant/AssistantSlot.js';
import { api } from '../lib/api.js';
import { cartCount, useCart } from '../lib/cart.js';
import { formatDate } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { categoriesQuery } from '../lib/queries.js';
import { session, useUser } from '../lib/session.js';
import type { Notice, Page } from '../lib/types.js';
import { SearchBox } from './SearchBox.js';

function CartLink() {
  const cart = useCart();
  const n = cartCount(cart.data);
  return (
    <Link to="/cart" className="header-action cart-link">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
        <path
          d="M3 4h2l2.4 11.2a2 2 0 0 0 2 1.6h7.8a2 2 0 0 0 2-1.5L21 8H6"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
        <circle cx="10" cy="20" r="1.5" fill="currentColor" />
        <circle cx="17" cy="20" r="1.5" fill="currentColor" />
      </svg>
      {/* one name for assistive tech ("Cart, 2 items"); the visible label and badge are hidden from it */}
      <span className="action-label" aria-hidden="true">
        Cart
      </span>
      <span className="visually-hidden">{`Cart, ${n} ${n === 1 ? 'item' : 'items'}`}</span>
      {n > 0 && (
        <span className="count" aria-hidden="true">
          {n}
        </span>
      )}
    </Link>
  );
}

function Bell() {
  const { unread, setUnread } = useLive();
  const [open, setOpen] = useState(false);
  const client = useQueryClient();
  const panel = useRef<HTMLDivElement>(null);
  const notices = useQuery({
    queryKey: ['notices', 'latest'],
    queryFn: () => api<Page<Notice>>('/api/notifications?limit=5'),
    enabled: open,
  });
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => !panel.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);
  const markAll = async () => {
    await api('/api/notifications/read-all', { method: 'POST' }).catch(() => {});
    setUnread(0);
    client.invalidateQueries({ queryKey: ['notices'] });
  };
  return (
    <div className="bell" ref={panel}>
      <button
        type="button"
        className="header-action"
        aria-expanded={open}
        aria-haspopup="true"
        aria-label={`Notifications${unread ? `, ${unread} unread` : ''}`}
        onClick={() => setOpen((o) => !o)}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path
            d="M6 16V11a6 6 0 1 1 12 0v5l2 2H4z M10 20a2 2 0 0 0 4 0"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinejoin="round"
          />
        </svg>
        {unread > 0 && (
          <span className="count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="bell-panel">
          <div className="bell-head">
            <strong>Notifications</strong>
            <button type="button" className="link-button" onClick={markAll}>
              Mark all read
            </button>
          </div>
          {notices.isPending ? (
            <p className="muted">Loading…</p>
          ) : notices.isError ? (
            <p className="muted">Notifications are unavailable right now.</p>
          ) : notices.data.items.length === 0 ? (
            <p className="muted">Nothing yet. Order news shows up here.</p>
          ) : (
            <ul>
              {notices.data.items.map((n) => (
                <li key={n.id} className={n.read ? '' : 'unread'}>
                  <Link
                    to={
                      typeof n.data.orderId === 'string'
                        ? `/account/orders/${n.data.orderId}`
                        : '/account/notifications'
                    }
                    onClick={() => setOpen(false)}
                  >
                    <span className="notice-title">{n.title}</span>
                    <span className="notice-date">{formatDate(n.createdAt)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
          <Link to="/account/notifications" className="bell-all" onClick={() => setOpen(false)}>
            All notifications
          </Link>
        </div>
      )}
    </div>
  );
}

function Header() {
  const user = useUser();
  const navigate = useNavigate();
  const client = useQueryClient();
  const categories = useQuery(categoriesQuery());
  const signOut = () => {
    session.signOut();
    client.removeQueries({ queryKey: ['cart'] });
    client.removeQueries({ queryKey: ['orders'] });
    navigate('/');
  };
  return (
    <header className="site-header">
      <div className="header-row container">
        <Link to="/" className="logo">
          <svg aria-hidden="true" viewBox="0 0 32 32" width="30" height="30">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M8 12h16l-1.6 11.2a2 2 0 0 1-2 1.8h-8.8a2 2 0 0 1-2-1.8z" fill="#fff" />
            <path d="M12 12a4 4 0 0 1 8 0" stroke="#fff" strokeWidth="2" fill="none" />
          </svg>
          <span>microBazaar</span>
        </Link>
        <SearchBox />
        <nav aria-label="Your shop" className="header-actions">
          {user ? (
            <>
              {(user.role === 'seller' || user.role === 'admin') && (
                <Link to="/seller" className="header-action text-action">
                  Sell
                </Link>
              )}
              {user.role === 'admin' && (
                <Link to="/admin" className="header-action text-action">
                  Admin
                </Link>
              )}
              <Bell />
              <Link to="/account" className="header-action text-action">
                Account
              </Link>
              <button type="button" className="header-action text-action" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link to="/signin" className="header-action text-action">
              Sign in
            </Link>
          )}
          <CartLink />
        </nav>
      </div>
      <nav aria-label="Categories" className="category-nav">
        <ul className="container">
          {(categories.data?.items ?? []).map((c) => (
            <li key={c.slug}>
              <NavLink to={`/categories/${c.slug}`}>{c.name}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}

function Footer() {
  return (
    <footer className="site-footer">
      <div className="container footer-grid">
        <div>
          <p className="footer-logo">microBazaar</p>
          <p>The open-source shop. Prices include VAT where it applies.</p>
        </div>
        <nav aria-label="Footer">
          <ul>
            <li>
              <Link to="/search">All products</Link>
            </li>
            <li>
              <Link to="/account/orders">Your orders</Link>
            </li>
            <li>
              <Link to="/seller">Sell on microBazaar</Link>
            </li>
            <li>
              <a href="/docs">API reference</a>
            </li>
          </ul>
        </nav>
      </div>
    </footer>
  );
}

/** Moves focus to the new page's heading on client-side navigation, as a page load would. */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each new path, by design
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const h1 = document.querySelector<HTMLElement>('main h1');
    if (h1) {
      h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    }
  }, [pathname]);
}

export function Layout({ children }: { children: ReactNode }) {
  useFocusOnNavigate();
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <main id="main" className="container">
        {children}
      </main>
      <Footer />
      <AssistantSlot />
    </>
  );
}
