// /account/orders: order history, newest first, with paging.
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorState, Loading, Price, StatusBadge } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { formatDate, orderNumber } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import { useUser } from '../lib/session.js';
import type { Order, Page } from '../lib/types.js';

const head = simpleHead('Your orders');

export default function Orders() {
  useHead(head);
  const user = useUser()!;
  const list = useInfiniteQuery({
    queryKey: ['orders', 'mine'],
    queryFn: ({ pageParam }) => api<Page<Order>>(`/api/orders${qs({ limit: 10, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  // sellers and admins see more than their own purchases in this list
  const orders = (list.data?.pages.flatMap((p) => p.items) ?? []).filter((o) => o.userId === user.id);
  return (
    <>
      <h1>Your orders</h1>
      {list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading your orders" />
      ) : orders.length === 0 && !list.hasNextPage ? (
        <div className="empty">
          <p>You have not ordered anything yet.</p>
          <Link to="/" className="btn btn-primary">
            Start shopping
          </Link>
        </div>
      ) : (
        <ul className="order-list">
          {orders.map((o) => (
            <li key={o.id}>
              <Link to={`/account/orders/${o.id}`} className="order-row">
                <span className="order-number">Order {orderNumber(o.id)}</span>
                <span className="muted">{formatDate(o.createdAt)}</span>
                <span>
                  {o.items.reduce((n, i) => n + i.quantity, 0)} items · <Price money={o.total} />
                </span>
                <StatusBadge status={o.status} />
              </Link>
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => list.fetchNextPage()}
          disabled={list.isFetchingNextPage}
        >
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  );
}
