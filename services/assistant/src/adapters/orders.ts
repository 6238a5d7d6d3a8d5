// The order service, called with the customer's own token: its ownership checks decide what they may see and do.
import { Unavailable } from '@microbazaar/kit';
import type { Money } from '../domain/catalog.js';
import type { OrderSummary } from '../domain/replies.js';
import { type CallContext, errorMessage, jsonClient } from './http.js';

export interface OrderView extends OrderSummary {
  items: Array<{ productId: string; name: string; quantity: number }>;
}

export type CancelOutcome = { ok: true; order: OrderView } | { ok: false; status: number; message: string };

export interface OrdersClient {
  /** the caller's orders, newest first */
  mine(ctx: CallContext, limit?: number): Promise<OrderView[]>;
  /** one order of the caller's; undefined when it is not theirs or does not exist (the service says 404) */
  get(id: string, ctx: CallContext): Promise<OrderView | undefined>;
  cancel(id: string, ctx: CallContext): Promise<CancelOutcome>;
  close(): Promise<void>;
}

interface OrderBody {
  id?: unknown;
  status?: unknown;
  total?: Money;
  createdAt?: unknown;
  cancelReason?: unknown;
  items?: Array<{ productId?: unknown; name?: unknown; quantity?: unknown; fulfilment?: unknown }>;
}

export function parseOrder(body: OrderBody): OrderView | undefined {
  if (typeof body.id !== 'string' || typeof body.status !== 'string' || !body.total) return undefined;
  const items = (body.items ?? [])
    .filter((i) => typeof i.productId === 'string')
    .map((i) => ({
      productId: i.productId as string,
      name: typeof i.name === 'string' ? i.name : 'an item',
      quantity: typeof i.quantity === 'number' ? i.quantity : 1,
    }));
  return {
    id: body.id,
    status: body.status,
    total: { amount: Number(body.total.amount), currency: String(body.total.currency) },
    createdAt: typeof body.createdAt === 'string' ? body.createdAt : '',
    itemCount: items.length,
    firstItem: items[0]?.name,
    cancelReason: typeof body.cancelReason === 'string' ? body.cancelReason : null,
    partlyShipped: (body.items ?? []).some((i) => i.fulfilment === 'shipped' || i.fulfilment === 'delivered'),
    items,
  };
}

export function httpOrders(opts: { baseUrl: string; timeoutMs: number }): OrdersClient {
  const client = jsonClient({ ...opts, code: 'ORDERS_UNAVAILABLE', what: 'order service' });
  const unavailable = (status: number) =>
    new Unavailable(
      'The order service is unavailable, try again shortly',
      'ORDERS_UNAVAILABLE',
      new Error(`status ${status}`),
    );
  return {
    async mine(ctx, limit = 10) {
      const res = await client.request('GET', `/api/orders?limit=${limit}`, ctx);
      if (res.status !== 200) throw unavailable(res.status);
      const items = (res.body as { items?: OrderBody[] }).items ?? [];
      return items.map(parseOrder).filter((o): o is OrderView => o !== undefined);
    },
    async get(id, ctx) {
      const res = await client.request('GET', `/api/orders/${encodeURIComponent(id)}`, ctx);
      if (res.status === 404 || res.status === 400) return undefined;
      if (res.status !== 200) throw unavailable(res.status);
      return parseOrder(res.body as OrderBody);
    },
    async cancel(id, ctx) {
      const res = await client.request('POST', `/api/orders/${encodeURIComponent(id)}/cancel`, ctx);
      if (res.status === 200) {
        const order = parseOrder(res.body as OrderBody);
        if (order) return { ok: true, order };
      }
      if (res.status >= 500) throw unavailable(res.status);
      return {
        ok: false,
        status: res.status,
        message: errorMessage(res.body) ?? `the order service answered ${res.status}`,
      };
    },
    close: () => client.close(),
  };
}
