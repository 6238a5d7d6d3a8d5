// Orders containing my products, with my lines only, and the fulfilment steps the API allows for them (ship,
// then deliver); the order is shipped or delivered once every seller's lines are.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ErrorState, Loading, Price, StatusBadge } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { formatDate, orderNumber } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { addressLine, canMarkDelivered, canShip, lineProgress } from '../lib/orders.js';
import { LoadMore, useCursorList } from '../lib/paged.js';
import { simpleHead } from '../lib/seo.js';
import type { LineFulfilment, Order, OrderStatus } from '../lib/types.js';

const head = simpleHead('Orders to fulfil');

/** Where the seller's parcel went: both optional; the buyer reads them on the order's lines. */
function ShipmentForm({
  n,
  pending,
  onShip,
  onBack,
}: {
  n: string;
  pending: boolean;
  onShip: (shipment: { carrier?: string; trackingNumber?: string }) => void;
  onBack: () => void;
}) {
  const id = useId();
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  return (
    <form
      className="shipment-form"
      aria-label={`Shipment of order ${n}`}
      onSubmit={(e) => {
        e.preventDefault();
        onShip({
          ...(carrier.trim() ? { carrier: carrier.trim() } : {}),
          ...(tracking.trim() ? { trackingNumber: tracking.trim() } : {}),
        });
      }}
    >
      <div className="field">
        <label htmlFor={`${id}-carrier`}>
          Carrier <span className="optional">(optional)</span>
        </label>
        <input id={`${id}-carrier`} value={carrier} maxLength={100} onChange={(e) => setCarrier(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-tracking`}>
          Tracking number <span className="optional">(optional)</span>
        </label>
        <input id={`${id}-tracking`} value={tracking} maxLength={100} onChange={(e) => setTracking(e.target.value)} />
      </div>
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>
          Confirm shipment
        </button>
        <button type="button" className="btn btn-secondary" onClick={onBack}>
          Back
        </button>
      </div>
    </form>
  );
}

export function OrderActions({ order, refund = false }: { order: Order; refund?: boolean }) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [shipping, setShipping] = useState(false);
  const act = useMutation({
    mutationFn: ({ action, body = {} }: { action: 'ship' | 'deliver' | 'refund'; body?: object }) =>
      api<Order>(`/api/orders/${order.id}/${action}`, { method: 'POST', json: body }),
    onSuccess: () => {
      setError(null);
      setShipping(false);
      client.invalidateQueries({ queryKey: ['workspace-orders'] });
    },
    onError: (e) => setError(e.message),
  });
  const n = orderNumber(order.id);
  if (shipping && canShip(order)) {
    return (
      <div className="row-actions">
        <ShipmentForm
          n={n}
          pending={act.isPending}
          onShip={(body) => act.mutate({ action: 'ship', body })}
          onBack={() => setShipping(false)}
        />
        {error && <p className="field-error">{error}</p>}
      </div>
    );
  }
  return (
    <div className="row-actions">
      {canShip(order) && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={act.isPending}
          onClick={() => setShipping(true)}
          aria-label={`Ship order ${n}`}
        >
          Ship
        </button>
      )}
      {canMarkDelivered(order) && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={act.isPending}
          onClick={() => act.mutate({ action: 'deliver' })}
          aria-label={`Mark delivered: order ${n}`}
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
          onClick={() => window.confirm(`Refund order ${n}?`) && act.mutate({ action: 'refund' })}
        >
          Refund
        </button>
      )}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}

/** Which orders a table lists: by the order's status, and by a line's (a seller's: one of theirs). */
export interface OrdersQuery {
  status?: OrderStatus | '';
  fulfilment?: LineFulfilment;
}

/**
 * `mine`: a seller's table, whose orders hold their own lines only (and their total); an admin's holds
 * every line.
 */
export function OrdersTable({
  query,
  refund = false,
  mine = false,
  empty,
}: {
  query: OrdersQuery;
  refund?: boolean;
  mine?: boolean;
  /** what an empty list says */
  empty?: string;
}) {
  const { status = '', fulfilment } = query;
  const { list, items: orders } = useCursorList<Order>(
    ['workspace-orders', status, fulfilment],
    (cursor) => `/api/orders${qs({ status, fulfilment, limit: 20, cursor })}`,
  );
  if (list.isError) return <ErrorState error={list.error} retry={() => list.refetch()} />;
  if (list.isPending) return <Loading label="Loading orders" />;
  if (orders.length === 0) {
    return <p className="empty">{empty ?? `No orders${status ? ` with status ${status}` : ''} yet.`}</p>;
  }
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">{mine ? 'Your items' : 'Items'}</th>
              <th scope="col">{mine ? 'Your total' : 'Total'}</th>
              <th scope="col">Ship to</th>
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
                <td>
                  <ul className="order-lines">
                    {o.items.map((i) => (
                      <li key={i.productId}>
                        {i.quantity} × {i.name} <span className="muted">· {lineProgress(i)}</span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <Price money={o.total} />
                </td>
                <td>
                  <address>{addressLine(o.shippingAddress)}</address>
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
      <LoadMore list={list} />
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

/** The status select; `extra` adds views of its own before the statuses (a seller's "To ship"). */
export function StatusFilter<V extends string>({
  value,
  onChange,
  extra = [],
}: {
  value: V;
  onChange: (s: V) => void;
  extra?: ReadonlyArray<{ value: string; label: string }>;
}) {
  return (
    <div className="toolbar">
      <div className="field">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={value} onChange={(e) => onChange(e.target.value as V)}>
          {extra.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
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

/** A seller's own views: what is left for them to do, whatever the other sellers of an order did. */
const SELLER_VIEWS = [
  {
    value: 'to_ship',
    label: 'To ship',
    query: { status: 'confirmed', fulfilment: 'unshipped' },
    empty: 'Nothing left to ship.',
  },
  { value: 'to_deliver', label: 'On their way', query: { fulfilment: 'shipped' }, empty: 'Nothing on its way.' },
] as const satisfies ReadonlyArray<{ value: string; label: string; query: OrdersQuery; empty: string }>;
type SellerView = (typeof SELLER_VIEWS)[number]['value'];

export default function SellerOrders() {
  useHead(head);
  const [view, setView] = useState<SellerView | OrderStatus | ''>('to_ship');
  const own = SELLER_VIEWS.find((v) => v.value === view);
  return (
    <>
      <h1>Orders to fulfil</h1>
      <p className="muted">
        Orders that contain your products, with your items only. Ship your items of a confirmed order, then mark them
        delivered; the order is shipped once every seller in it has shipped.
      </p>
      <StatusFilter value={view} onChange={setView} extra={SELLER_VIEWS} />
      <OrdersTable
        query={own ? own.query : { status: view as OrderStatus | '' }}
        mine
        {...(own ? { empty: own.empty } : {})}
      />
    </>
  );
}
