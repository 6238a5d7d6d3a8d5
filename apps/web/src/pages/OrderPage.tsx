// /account/orders/:id: the status badge moves live (notification stream), cancel where allowed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorState, Loading, Price, StatusBadge } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { CANCEL_WORDS, formatDate, orderNumber, STATUS_WORDS } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { useLive } from '../lib/live.js';
import { canCancel, lineProgress } from '../lib/orders.js';
import { simpleHead } from '../lib/seo.js';
import type { Order } from '../lib/types.js';
import NotFound from './NotFound.js';

const head = simpleHead('Your order');

export default function OrderPage() {
  useHead(head);
  const { id = '' } = useParams();
  const client = useQueryClient();
  const { connected } = useLive();
  const order = useQuery({
    queryKey: ['order', id],
    queryFn: () => api<Order>(`/api/orders/${id}`),
    // news arrives on the stream; a slow poll only covers a stream that is down or notices switched off
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? (connected ? 5_000 : 2_000) : false),
  });
  // news that came while the stream was (re)connecting is not replayed to it: read the order again
  const { refetch } = order;
  useEffect(() => {
    if (connected) refetch();
  }, [connected, refetch]);
  const cancel = useMutation({
    mutationFn: () => api<Order>(`/api/orders/${id}/cancel`, { method: 'POST' }),
    onSuccess: (o) => {
      client.setQueryData(['order', id], o);
      client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  if (order.error instanceof ApiError && (order.error.status === 404 || order.error.status === 400)) {
    return <NotFound what="order" />;
  }
  if (order.isError) return <ErrorState error={order.error} retry={() => order.refetch()} />;
  if (!order.data) return <Loading label="Loading the order" />;
  const o = order.data;
  // until a line ships (a seller may ship their part before the others)
  const cancellable = canCancel(o);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumbs">
        <ol>
          <li>
            <Link to="/account">Account</Link>
          </li>
          <li>
            <Link to="/account/orders">Orders</Link>
          </li>
          <li aria-current="page">{orderNumber(o.id)}</li>
        </ol>
      </nav>
      <div className="order-head">
        <h1>Order {orderNumber(o.id)}</h1>
        <p className="order-status" aria-live="polite">
          Status: <StatusBadge status={o.status} />
        </p>
      </div>
      {o.status === 'pending' && (
        <p className="notice">We are reserving your items and taking the payment. This page updates by itself.</p>
      )}
      {o.status === 'confirmed' && <p className="success">Thank you! Your order is confirmed and will ship soon.</p>}
      {o.status === 'cancelled' && (
        <div className="form-error" role="alert">
          <p>{o.cancelReason ? CANCEL_WORDS[o.cancelReason] : 'This order was cancelled.'}</p>
          {o.cancelReason === 'payment_failed' && (
            <p>
              <Link to="/checkout">Try another card</Link>
            </p>
          )}
        </div>
      )}
      <div className="order-body">
        <section className="panel" aria-labelledby="items-title">
          <h2 id="items-title">Items</h2>
          <ul className="summary-lines">
            {o.items.map((i) => (
              <li key={i.productId}>
                <span>
                  {i.quantity} × <Link to={`/products/${i.productId}`}>{i.name}</Link>
                  {o.status !== 'pending' && o.status !== 'cancelled' && (
                    <span className="muted"> · {lineProgress(i)}</span>
                  )}
                </span>
                <Price money={i.lineTotal} />
              </li>
            ))}
          </ul>
          <p className="total">
            Total <Price money={o.total} />
          </p>
        </section>
        <section className="panel" aria-labelledby="ship-title">
          <h2 id="ship-title">Shipping to</h2>
          <address>
            {o.shippingAddress.name}
            <br />
            {o.shippingAddress.line1}
            {o.shippingAddress.line2 && (
              <>
                <br />
                {o.shippingAddress.line2}
              </>
            )}
            <br />
            {o.shippingAddress.postalCode} {o.shippingAddress.city}
            {o.shippingAddress.region ? `, ${o.shippingAddress.region}` : ''}
            <br />
            {o.shippingAddress.country}
          </address>
          <h2>History</h2>
          <ol className="history">
            {o.history.map((h) => (
              <li key={`${h.status}-${h.at}`}>
                <strong>{STATUS_WORDS[h.status]}</strong> <span className="muted">{formatDate(h.at)}</span>
              </li>
            ))}
          </ol>
          {cancellable && (
            <button
              type="button"
              className="btn btn-secondary"
              disabled={cancel.isPending}
              onClick={() => {
                if (window.confirm('Cancel this order? A payment already taken is refunded.')) cancel.mutate();
              }}
            >
              Cancel order
            </button>
          )}
          {cancel.error && <p className="field-error">{cancel.error.message}</p>}
        </section>
      </div>
    </>
  );
}
