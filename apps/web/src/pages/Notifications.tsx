// /account/notifications: every notice, newest first, with read state.
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorState, Loading } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { formatDate } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { useLive } from '../lib/live.js';
import { LoadMore, useCursorList } from '../lib/paged.js';
import { simpleHead } from '../lib/seo.js';
import type { Notice } from '../lib/types.js';

const head = simpleHead('Notifications');

export default function Notifications() {
  useHead(head);
  const client = useQueryClient();
  const { unread, setUnread } = useLive();
  const { list, items } = useCursorList<Notice>(
    ['notices', 'all'],
    (cursor) => `/api/notifications${qs({ limit: 20, cursor })}`,
  );
  const mark = async (n: Notice) => {
    await api(`/api/notifications/${n.id}`, { method: 'PATCH', json: { read: !n.read } });
    setUnread((u) => Math.max(0, u + (n.read ? 1 : -1)));
    client.invalidateQueries({ queryKey: ['notices'] });
  };
  const markAll = async () => {
    await api('/api/notifications/read-all', { method: 'POST' });
    setUnread(0);
    client.invalidateQueries({ queryKey: ['notices'] });
  };
  return (
    <>
      <div className="section-head">
        <h1>Notifications</h1>
        {unread > 0 && (
          <button type="button" className="btn btn-secondary" onClick={markAll}>
            Mark all read ({unread})
          </button>
        )}
      </div>
      <p>
        <Link to="/account/notifications/preferences">Notification preferences</Link>
      </p>
      {list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">No notifications yet. News about your orders will show up here.</p>
      ) : (
        <ul className="notices">
          {items.map((n) => (
            <li key={n.id} className={n.read ? 'notice-item' : 'notice-item unread'}>
              <div>
                <p className="notice-title">
                  {typeof n.data.orderId === 'string' ? (
                    <Link to={`/account/orders/${n.data.orderId}`}>{n.title}</Link>
                  ) : (
                    n.title
                  )}
                  {!n.read && <span className="pill">New</span>}
                </p>
                <p>{n.body}</p>
                <p className="muted">{formatDate(n.createdAt)}</p>
              </div>
              <button type="button" className="link-button" onClick={() => mark(n)}>
                Mark {n.read ? 'unread' : 'read'}
              </button>
            </li>
          ))}
        </ul>
      )}
      <LoadMore list={list} />
    </>
  );
}
