// /account/orders: order history, newest first, with paging.
import { Link } from 'react-router';
import { ErrorState, Loading, Price, StatusBadge } from '../components/ui.js';
import { qs } from '../lib/api.js';
import { formatDate, orderNumber } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { LoadMore, useCursorList } from '../lib/paged.js';
import { simpleHead } from '../lib/seo.js';
import { useUser } from '../lib/session.js';
import type { Order } from '../lib/types.js';

const head = simpleHead('Your orders');

export default function Orders() {
  useHead(head);
  const user = useUser()!;
  const { list, items } = useCursorList<Order>(
    ['orders', 'mine'],
    (cursor) => `/api/orders${qs({ limit: 10, cursor })}`,
  );
  // sellers and admins see more than their own purchases in this list
  const orders = items.filter((o) => o.userId === user.id);
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
      <LoadMore list={list} />
    </>
  );
}
