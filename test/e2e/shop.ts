// A shopper's and a seller's view of the running shop, over real HTTP through the gateway.
import { randomUUID } from 'node:crypto';
import { eventually as waitFor } from '@microbazaar/kit/testing';

// biome-ignore lint/suspicious/noExplicitAny: a test client reads whatever JSON came back
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Customer {
  userId: string;
  email: string;
  token: string;
}

export interface Order {
  id: string;
  userId: string;
  status: string;
  cancelReason: string | null;
  items: Array<{ productId: string; quantity: number; unitPrice: { amount: number; currency: string } }>;
  total: { amount: number; currency: string };
  history: Array<{ status: string; at: string; cause: string }>;
  createdAt: string;
}

export const ADDRESS = {
  name: 'Grace Hopper',
  line1: '1 Navy Way',
  city: 'Arlington',
  postalCode: '22201',
  country: 'US',
};
export const PASSWORD = 'correct horse battery';

export class Shop {
  constructor(readonly base: string) {}

  // biome-ignore lint/suspicious/noExplicitAny: as above
  async call<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async register(tag = 'buyer'): Promise<Customer> {
    const email = `${tag}-${randomUUID().slice(0, 12)}@example.com`;
    const res = await this.call('POST', '/api/auth/register', { body: { email, password: PASSWORD, name: tag } });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    return { userId: res.body.user.id, email, token: res.body.token };
  }

  /** The demo seller the auth service creates on first start. */
  async seller(): Promise<Customer> {
    const res = await this.call('POST', '/api/auth/login', {
      body: { email: 'seller@microbazaar.local', password: 'seller12345' },
    });
    if (res.status !== 200) throw new Error(`seller login: ${res.status} ${JSON.stringify(res.body)}`);
    return { userId: res.body.user.id, email: res.body.user.email, token: res.body.token };
  }

  async createProduct(seller: Customer, p: { name?: string; price: number; stock: number }) {
    const res = await this.call('POST', '/api/products', {
      token: seller.token,
      body: {
        name: p.name ?? `Lamp ${randomUUID().slice(0, 8)}`,
        description: 'A test product',
        price: p.price,
        currency: 'USD',
        stock: p.stock,
      },
    });
    if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; name: string; stock: number; price: { amount: number; currency: string } };
  }

  async stock(productId: string): Promise<number> {
    const res = await this.call('GET', `/api/products/${productId}/stock`);
    if (res.status !== 200) throw new Error(`stock: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.available;
  }

  addToCart(who: Customer, productId: string, quantity: number) {
    return this.call('POST', '/api/cart/items', { token: who.token, body: { productId, quantity } });
  }

  async cart(who: Customer) {
    return (await this.call('GET', '/api/cart', { token: who.token })).body as {
      items: Array<{ productId: string; quantity: number }>;
    };
  }

  placeOrder(
    who: Customer,
    opts: { paymentToken: string; items?: Array<{ productId: string; quantity: number }>; key?: string },
  ): Promise<Reply<Order>> {
    return this.call('POST', '/api/orders', {
      token: who.token,
      headers: { 'idempotency-key': opts.key ?? randomUUID() },
      body: { shippingAddress: ADDRESS, paymentToken: opts.paymentToken, ...(opts.items ? { items: opts.items } : {}) },
    });
  }

  async order(who: Customer, id: string): Promise<Order> {
    const res = await this.call<Order>('GET', `/api/orders/${id}`, { token: who.token });
    if (res.status !== 200) throw new Error(`order ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Polls until the order leaves `pending` (or the time runs out). */
  async settled(who: Customer, id: string, timeoutMs = 30_000): Promise<Order> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const order = await this.order(who, id);
      if (order.status !== 'pending' || Date.now() > deadline) return order;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async payments(who: Customer, orderId: string) {
    return this.call('GET', `/api/payments?orderId=${orderId}`, { token: who.token });
  }
}

/** The kit's eventually with the patience a whole stack of processes needs. */
export function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  return waitFor(fn, timeoutMs, intervalMs);
}
