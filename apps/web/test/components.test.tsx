// @vitest-environment happy-dom
// Components and hooks as a person uses them (by role and name), with the API answered in memory.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SearchBox } from '../src/components/SearchBox.js';
import { ApiError, api, setTransport } from '../src/lib/api.js';
import { session } from '../src/lib/session.js';
import type { Order, Product } from '../src/lib/types.js';
import ProductPage from '../src/pages/ProductPage.js';
import ProductForm from '../src/seller/ProductForm.js';
import SellerOrders from '../src/seller/SellerOrders.js';
import SellerProducts from '../src/seller/SellerProducts.js';

const product = (over: Partial<Product> = {}): Product => ({
  id: '0b7c1f8e-8a1d-4f7e-9d55-3c7b8d3f2a10',
  slug: 'desk-lamp',
  name: 'Desk Lamp',
  description: 'Warm light.',
  price: { amount: 2599, currency: 'USD' },
  category: null,
  attributes: {},
  stock: 10,
  images: [],
  sellerId: 's',
  status: 'active',
  createdAt: '',
  updatedAt: '',
  ...over,
});

const jsonResponse = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function Where() {
  const l = useLocation();
  return <output aria-label="location">{l.pathname + l.search}</output>;
}

function renderAt(path: string, ui: ReactNode, routePath = '*') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={routePath} element={ui} />
        </Routes>
        <Where />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('search box', () => {
  beforeEach(() => {
    setTransport(async (path) => {
      expect(path).toMatch(/^\/api\/products\?q=lamp&limit=6$/);
      return jsonResponse(200, {
        items: [
          product(),
          product({ id: '1b7c1f8e-8a1d-4f7e-9d55-3c7b8d3f2a10', slug: 'floor-lamp', name: 'Floor Lamp' }),
        ],
        nextCursor: null,
        total: 2,
        totalExact: true,
      });
    });
  });

  it('suggests after typing; arrows pick, Enter opens the product', async () => {
    renderAt('/', <SearchBox />);
    const box = screen.getByRole('combobox', { name: 'Search products' });
    fireEvent.focus(box);
    fireEvent.change(box, { target: { value: 'lamp' } });
    await screen.findByRole('option', { name: /Floor Lamp/ });
    expect(box.getAttribute('aria-expanded')).toBe('true');
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    expect(screen.getByRole('option', { name: /Floor Lamp/ }).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(screen.getByRole('option', { name: /Desk Lamp/ }).getAttribute('aria-selected')).toBe('true');
    fireEvent.submit(box.closest('form')!);
    expect(screen.getByRole('status', { name: 'location' }).textContent).toBe('/products/desk-lamp');
  });

  it('Escape closes the suggestions; Enter without a pick searches the words', async () => {
    renderAt('/', <SearchBox />);
    const box = screen.getByRole('combobox', { name: 'Search products' });
    fireEvent.focus(box);
    fireEvent.change(box, { target: { value: 'lamp' } });
    await screen.findByRole('option', { name: /Desk Lamp/ });
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(box.getAttribute('aria-expanded')).toBe('false');
    fireEvent.submit(box.closest('form')!);
    expect(screen.getByRole('status', { name: 'location' }).textContent).toBe('/search?q=lamp');
  });
});

/** Categories and lists answered empty; the product itself by `one`. */
function catalog(path: string, one: () => Response): Response {
  if (path.startsWith('/api/categories')) return jsonResponse(200, { items: [], nextCursor: null });
  if (path.startsWith('/api/products?'))
    return jsonResponse(200, { items: [], nextCursor: null, total: 0, totalExact: true });
  return one();
}

describe('product page', () => {
  it('disables "Add to cart" when sold out and shows the price in its currency', async () => {
    setTransport(async (path) =>
      catalog(path, () => jsonResponse(200, product({ stock: 0, price: { amount: 1999, currency: 'EUR' } }))),
    );
    renderAt('/products/desk-lamp', <ProductPage />, '/products/:slug');
    expect(await screen.findByRole('heading', { level: 1, name: 'Desk Lamp' })).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Add to cart' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('Sold out')).toBeTruthy();
    expect(screen.getByText('€19.99')).toBeTruthy();
  });

  it('shows the 404 page for a product that is gone', async () => {
    setTransport(async () => jsonResponse(404, { error: { code: 'NOT_FOUND', message: 'Product not found' } }));
    renderAt('/products/gone', <ProductPage />, '/products/:slug');
    expect(await screen.findByRole('heading', { level: 1, name: /can’t find that product/ })).toBeTruthy();
  });

  it('shows a retry for that part only when the catalog is down', async () => {
    let calls = 0;
    setTransport(async (path) =>
      catalog(path, () => {
        calls++;
        return calls === 1
          ? jsonResponse(503, {
              error: { code: 'UPSTREAM_UNAVAILABLE', message: 'The product service is unavailable' },
            })
          : jsonResponse(200, product());
      }),
    );
    renderAt('/products/desk-lamp', <ProductPage />, '/products/:slug');
    await screen.findByText(/The product service is unavailable/);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Desk Lamp' })).toBeTruthy();
  });
});

describe('api() and the session', () => {
  const tokens = (token: string) => ({
    user: { id: 'u', email: 'a@b.c', name: 'A', role: 'customer' as const, disabled: false, createdAt: '' },
    token,
    refreshToken: `r-${token}`,
    expiresIn: 900,
  });

  it('refreshes once on a 401 and retries with the new token', async () => {
    session.set(tokens('old'));
    const seen: string[] = [];
    setTransport(async (_path, init) => {
      const auth = (init.headers as Record<string, string>).authorization ?? '';
      seen.push(auth);
      return auth === 'Bearer new'
        ? jsonResponse(200, { ok: true })
        : jsonResponse(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } });
    });
    vi.stubGlobal('fetch', async () => jsonResponse(200, tokens('new')));
    await expect(api('/api/auth/me')).resolves.toEqual({ ok: true });
    expect(seen).toEqual(['Bearer old', 'Bearer new']);
    expect(session.token()).toBe('new');
  });

  it('signs out when the refresh fails too', async () => {
    session.set(tokens('old'));
    setTransport(async () => jsonResponse(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } }));
    vi.stubGlobal('fetch', async () => jsonResponse(401, { error: { code: 'INVALID_REFRESH', message: 'no' } }));
    await expect(api('/api/auth/me')).rejects.toBeInstanceOf(ApiError);
    expect(session.user()).toBeNull();
    expect(session.takeSignOutReason()).toBe('expired');
  });

  it('turns field details into messages by field', async () => {
    setTransport(async () =>
      jsonResponse(400, {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'Invalid body/shippingAddress/postalCode: must NOT have more than 20 characters',
          details: [{ path: 'body/shippingAddress/postalCode', message: 'must NOT have more than 20 characters' }],
        },
      }),
    );
    const err = await api('/api/orders', { method: 'POST', json: {} }).catch((e: ApiError) => e);
    expect((err as ApiError).fieldErrors()).toEqual({ postalCode: 'must NOT have more than 20 characters' });
  });

  it('says the shop cannot be reached when the network fails', async () => {
    setTransport(async () => {
      throw new TypeError('fetch failed');
    });
    await act(async () => {
      const err = await api('/api/cart').catch((e: ApiError) => e);
      expect((err as ApiError).status).toBe(0);
      expect((err as ApiError).message).toMatch(/cannot be reached/);
    });
  });
});

describe('guest cart id', () => {
  it('keeps the x-cart-id the cart service hands out and sends it back', async () => {
    const sent: Array<string | undefined> = [];
    setTransport(async (_path, init) => {
      sent.push((init.headers as Record<string, string>)['x-cart-id']);
      return new Response('{"items":[]}', {
        status: 200,
        headers: { 'x-cart-id': '5f0e8d1c-0000-4000-8000-000000000001' },
      });
    });
    await api('/api/cart');
    await api('/api/cart');
    await waitFor(() => expect(sent).toEqual([undefined, '5f0e8d1c-0000-4000-8000-000000000001']));
  });
});

describe('signing in with a guest cart', () => {
  it('merges the guest cart before the session is stored, so no page reads the cart from before', async () => {
    const { signedIn } = await import('../src/lib/cart.js');
    const { QueryClient } = await import('@tanstack/react-query');
    localStorage.setItem('mb.cartId', '5f0e8d1c-0000-4000-8000-000000000002');
    const calls: string[] = [];
    setTransport(async (path, init) => {
      calls.push(
        `${init.method} ${path} ${(init.headers as Record<string, string>).authorization ?? ''} signedIn=${session.user() !== null}`,
      );
      return jsonResponse(200, {
        id: 'u',
        userId: 'u',
        items: [{ productId: 'p', name: 'Lamp', quantity: 2 }],
        subtotal: { amount: 0, currency: 'USD' },
      });
    });
    const client = new QueryClient();
    await signedIn(client, {
      user: { id: 'u', email: 'a@b.c', name: 'A', role: 'customer', disabled: false, createdAt: '' },
      token: 'fresh',
      refreshToken: 'r',
      expiresIn: 900,
    });
    expect(calls).toEqual(['POST /api/cart/merge Bearer fresh signedIn=false']);
    expect(localStorage.getItem('mb.cartId')).toBeNull();
    expect(session.token()).toBe('fresh');
    expect(client.getQueryData(['cart', 'u'])).toMatchObject({ items: [{ quantity: 2 }] });
  });
});

describe("a seller's orders", () => {
  const ORDER_ID = '5e1f0c7a-8a1d-4f7e-9d55-3c7b8d3f2a10';
  // the order service answers a seller with their own lines only, and their total
  const mine = (fulfilment: 'unshipped' | 'shipped'): Order => ({
    id: ORDER_ID,
    userId: 'b',
    status: 'confirmed',
    cancelReason: null,
    items: [
      {
        productId: 'p1',
        name: 'Desk Lamp',
        unitPrice: { amount: 1000, currency: 'USD' },
        quantity: 2,
        lineTotal: { amount: 2000, currency: 'USD' },
        fulfilment,
        ...(fulfilment === 'shipped' ? { carrier: 'DHL', trackingNumber: 'A-1' } : {}),
      },
    ],
    total: { amount: 2000, currency: 'USD' },
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
    history: [],
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
  });

  it('lists what I have to ship, with my items, my total and where to; Ship moves it to "On their way"', async () => {
    let state: 'unshipped' | 'shipped' = 'unshipped';
    const calls: string[] = [];
    setTransport(async (path, init) => {
      calls.push(`${init.method ?? 'GET'} ${path}${init.body ? ` ${init.body}` : ''}`);
      if (init.method === 'POST') {
        state = 'shipped';
        return jsonResponse(200, mine(state));
      }
      // the service's filter: orders with a line of mine in that state
      const wanted = new URLSearchParams(path.split('?')[1]).get('fulfilment');
      return jsonResponse(200, { items: !wanted || wanted === state ? [mine(state)] : [], nextCursor: null });
    });
    renderAt('/seller/orders', <SellerOrders />);
    const row = (await screen.findByText(/2 × Desk Lamp/)).closest('tr')!;
    expect(screen.getByRole('columnheader', { name: 'Your items' })).toBeTruthy();
    expect(screen.getByRole('columnheader', { name: 'Your total' })).toBeTruthy();
    expect(row.textContent).toContain('Not shipped yet');
    expect(row.textContent).toContain('$20.00');
    expect(row.textContent).toContain('Ada Lovelace, 12 Analytical Row, N1 9GU London, GB');
    fireEvent.click(screen.getByRole('button', { name: 'Ship order #5E1F0C7A' }));
    // where the parcel went, both optional
    const form = screen.getByRole('form', { name: 'Shipment of order #5E1F0C7A' });
    fireEvent.change(screen.getByRole('textbox', { name: /Carrier/ }), { target: { value: ' DHL ' } });
    fireEvent.change(screen.getByRole('textbox', { name: /Tracking number/ }), { target: { value: 'A-1' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Confirm shipment' }));
    await screen.findByText('Nothing left to ship.');
    expect(calls).toContain('GET /api/orders?status=confirmed&fulfilment=unshipped&limit=20');
    expect(calls).toContain(`POST /api/orders/${ORDER_ID}/ship {"carrier":"DHL","trackingNumber":"A-1"}`);
    fireEvent.change(screen.getByRole('combobox', { name: 'Status' }), { target: { value: 'to_deliver' } });
    await screen.findByText(/Shipped \(DHL A-1\)/);
    expect(calls).toContain('GET /api/orders?fulfilment=shipped&limit=20');
    // my items are on their way: no Ship, but Mark delivered (the order itself waits for the other sellers)
    expect(screen.queryByRole('button', { name: 'Ship order #5E1F0C7A' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Mark delivered: order #5E1F0C7A' })).toBeTruthy();
  });
});

describe("the seller's product form", () => {
  const img = (n: number) => ({
    id: `00000000-0000-4000-8000-00000000000${n}`,
    url: `/media/${n}.jpg`,
    thumbnailUrl: `/media/${n}-t.jpg`,
    mediumUrl: `/media/${n}-m.jpg`,
    width: 800,
    height: 800,
  });

  it('moves an uploaded picture down with the keyboard-reachable buttons (the API gets the whole order)', async () => {
    let current = product({ images: [img(1), img(2), img(3)], sellerId: 'me' });
    const calls: string[] = [];
    setTransport(async (path, init) => {
      calls.push(`${init.method ?? 'GET'} ${path}${init.body ? ` ${init.body}` : ''}`);
      if (path.startsWith('/api/categories')) return jsonResponse(200, { items: [] });
      if (path.endsWith('/stock')) return jsonResponse(200, { productId: current.id, available: 10, onHand: 10 });
      if (init.method === 'PUT' && path.endsWith('/images/order')) {
        const { imageIds } = JSON.parse(String(init.body)) as { imageIds: string[] };
        current = { ...current, images: imageIds.map((id) => current.images.find((i) => i.id === id)!) };
        return jsonResponse(200, current);
      }
      return jsonResponse(200, current);
    });
    renderAt(`/seller/products/${current.id}`, <ProductForm />, '/seller/products/:id');
    const pictures = await screen.findByRole('list', { name: 'Current pictures' });
    expect((screen.getByRole('button', { name: 'Move picture 1 up' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Move picture 3 down' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Move picture 1 down' }));
    await screen.findByText('Picture moved to position 2 of 3.');
    expect(calls).toContain(
      `PUT /api/products/${current.id}/images/order {"imageIds":["${img(2).id}","${img(1).id}","${img(3).id}"]}`,
    );
    const srcs = within(pictures)
      .getAllByRole('img')
      .map((i) => i.getAttribute('src'));
    expect(srcs).toEqual(['/media/2-t.jpg', '/media/1-t.jpg', '/media/3-t.jpg']);
  });

  it('offers Restore for an archived product', async () => {
    let current = product({ status: 'archived', sellerId: 'me' });
    setTransport(async (path, init) => {
      if (path.startsWith('/api/categories')) return jsonResponse(200, { items: [] });
      if (path.endsWith('/stock')) return jsonResponse(200, { productId: current.id, available: 10, onHand: 10 });
      if (init.method === 'PATCH') current = { ...current, ...JSON.parse(String(init.body)) };
      return jsonResponse(200, current);
    });
    renderAt(`/seller/products/${current.id}`, <ProductForm />, '/seller/products/:id');
    await screen.findByText(/This product is archived/);
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await screen.findByText(/Restored/);
    expect(current.status).toBe('active');
    expect(screen.queryByText(/This product is archived/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Archive' })).toBeTruthy();
  });
});

describe('Load more', () => {
  it("reads the next page of the seller's products with the cursor, then goes away", async () => {
    session.set({
      user: { id: 'me', email: 'me@example.com', name: 'Me', role: 'seller', disabled: false, createdAt: '' },
      token: 't',
      refreshToken: 'r',
      expiresIn: 900,
    });
    const paths: string[] = [];
    setTransport(async (path) => {
      paths.push(path);
      const second = path.includes('cursor=c2');
      return jsonResponse(200, {
        items: [product({ id: second ? 'p2' : 'p1', slug: second ? 'b' : 'a', name: second ? 'Second' : 'First' })],
        nextCursor: second ? null : 'c2',
        total: 2,
        totalExact: true,
      });
    });
    renderAt('/seller', <SellerProducts />);
    await screen.findByRole('link', { name: 'First' });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByRole('link', { name: 'Second' });
    expect(screen.getByRole('link', { name: 'First' })).toBeTruthy();
    expect(paths.some((p) => p.includes('cursor=c2'))).toBe(true);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});

describe("the seller's archived products", () => {
  it('lists them on the Archived tab and restores one', async () => {
    session.set({
      user: { id: 'me', email: 'me@example.com', name: 'Me', role: 'seller', disabled: false, createdAt: '' },
      token: 't',
      refreshToken: 'r',
      expiresIn: 900,
    });
    let kettle = product({ id: 'p9', slug: 'kettle', name: 'Old Kettle', status: 'archived', sellerId: 'me' });
    const calls: string[] = [];
    setTransport(async (path, init) => {
      calls.push(`${init.method ?? 'GET'} ${path}${init.body ? ` ${init.body}` : ''}`);
      if (init.method === 'PATCH') {
        kettle = { ...kettle, status: 'active' };
        return jsonResponse(200, kettle);
      }
      const wantArchived = path.includes('status=archived');
      const items = (kettle.status === 'archived') === wantArchived ? [kettle] : [];
      return jsonResponse(200, { items, nextCursor: null, total: items.length, totalExact: true });
    });
    renderAt('/seller?status=archived', <SellerProducts />);
    await screen.findByText('Old Kettle');
    expect(calls).toContain('GET /api/products?sellerId=me&status=archived&limit=20');
    expect(screen.getByRole('link', { name: 'Archived' }).getAttribute('aria-current')).toBe('page');
    expect(screen.queryByRole('searchbox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Restore Old Kettle' }));
    await screen.findByText('You have no archived products.');
    expect(calls).toContain('PATCH /api/products/p9 {"status":"active"}');
    fireEvent.click(screen.getByRole('link', { name: 'On sale' }));
    await screen.findByRole('link', { name: 'Old Kettle' });
  });
});
