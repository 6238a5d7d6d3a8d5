// Orders containing my products, with the fulfilment steps the API allows (ship, then deliver).
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorState, Loading, Price, StatusBadge } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { formatDate, orderNumber } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import type { Order, OrderStatus, Page } from '../lib/types.js';

const head = simpleHead('Orders to fulfil');

export function OrderActions({ order, refund = false }: { order: Order; refund?: boolean }) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: (action: 'ship' | 'deliver' | 'refund') =>
      api<Order>(`/api/orders/${order.id}/${action}`, { method: 'POST', json: {} }),
    onSuccess: () => {
      setError(null);
      client.invalidateQueries({ queryKey: ['workspace-orders'] });
    },
    onError: (e) => setError(e.message),
  });
  const n = orderNumber(order.id);
  return (
    <div className="row-actions">
      {order.status === 'confirmed' && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={act.isPending}
          onClick={() => act.mutate('ship')}
          aria-label={`Ship order ${n}`}
        >
          Ship
        </button>
      )}
      {order.status === 'shipped' && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={act.isPending}
          onClick={() => act.mutate('deliver')}
          aria-label={`Mark order ${n} delivered`}
        >
          Mark delivered
        </button>
      )}
      {refund && order.status === 'delivered' && (
        <button
          type="button"
          className="btn btn-danger"
          disabled={act.isPending}
          aria-label={`Refund order ${n}`}
          onClick={() => window.confirm(`Refund order ${n}?`) && act.mutate('refund')}
        >
          Refund
        </button>
      )}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}

export function OrdersTable({ status, refund = false }: { status: OrderStatus | ''; refund?: boolean }) {
  const list = useInfiniteQuery({
    queryKey: ['workspace-orders', status],
    queryFn: ({ pageParam }) => api<Page<Order>>(`/api/orders${qs({ status, limit: 20, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const orders = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isError) return <ErrorState error={list.error} retry={() => list.refetch()} />;
  if (list.isPending) return <Loading label="Loading orders" />;
  if (orders.length === 0) return <p className="empty">No orders{status ? ` with status ${status}` : ''} yet.</p>;
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Items</th>
              <th scope="col">Total</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id}>
                <td>{orderNumber(o.id)}</td>
                <td>{formatDate(o.createdAt)}</td>
                <td>{o.items.map((i) => `${i.quantity} × ${i.name}`).join(', ')}</td>
                <td>
                  <Price money={o.total} />
                </td>
                <td>
                  <StatusBadge status={o.status} />
                </td>
                <td>
                  <OrderActions order={o} refund={refund} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.hasNextPage && (
        <p className="load-more">
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
          >
            Load more
          </button>
        </p>
      )}
    </>
  );
}

export const STATUS_FILTERS: Array<OrderStatus | ''> = [
  '',
  'pending',
  'confirmed',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
];

export function StatusFilter({
  value,
  onChange,
}: {
  value: OrderStatus | '';
  onChange: (s: OrderStatus | '') => void;
}) {
  return (
    <div className="toolbar">
      <div className="field">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={value} onChange={(e) => onChange(e.target.value as OrderStatus | '')}>
          {STATUS_FILTERS.map((s) => (
            <option key={s} value={s}>
              {s ? s[0]!.toUpperCase() + s.slice(1) : 'All'}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

export default function SellerOrders() {
  useHead(head);
  const [status, setStatus] = useState<OrderStatus | ''>('confirmed');
  return (
    <>
      <h1>Orders to fulfil</h1>
      <p className="muted">Orders that contain your products. Ship confirmed orders, then mark them delivered.</p>
      <StatusFilter value={status} onChange={setStatus} />
      <OrdersTable status={status} />
    </>
  );
}
