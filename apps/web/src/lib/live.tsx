// The signed-in user's live notices: one EventSource per tab (ticket flow), the unread count for
// the bell, and listeners for pages that react to news (an order page refetches its order).
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { api } from './api.js';
import { useUser } from './session.js';
import type { Notice } from './types.js';

type Listener = (notice: Notice) => void;

interface Live {
  unread: number;
  setUnread: (n: number | ((n: number) => number)) => void;
  /** true while the stream is open */
  connected: boolean;
  listen: (l: Listener) => () => void;
}

const LiveContext = createContext<Live>({ unread: 0, setUnread: () => {}, connected: false, listen: () => () => {} });

export const useLive = () => useContext(LiveContext);

/** Calls `onNotice` for every live notice while the component is mounted. */
export function useNotices(onNotice: Listener): void {
  const { listen } = useLive();
  const ref = useRef(onNotice);
  ref.current = onNotice;
  useEffect(() => listen((n) => ref.current(n)), [listen]);
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const userId = useUser()?.id;
  const client = useQueryClient();
  const [unread, setUnread] = useState(0);
  const [connected, setConnected] = useState(false);
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    if (!userId) {
      setUnread(0);
      return;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let lastId: string | null = null;
    let failures = 0;

    const open = async () => {
      try {
        const { url } = await api<{ url: string }>('/api/notifications/tickets', { method: 'POST' });
        if (stopped) return;
        const full = lastId ? `${url}&lastEventId=${encodeURIComponent(lastId)}` : url;
        source = new EventSource(full);
        source.addEventListener('ready', (e) => {
          failures = 0;
          setConnected(true);
          setUnread((JSON.parse((e as MessageEvent).data) as { unread: number }).unread);
        });
        source.addEventListener('notification', (e) => {
          const m = e as MessageEvent;
          if (m.lastEventId) lastId = m.lastEventId;
          const notice = JSON.parse(m.data) as Notice;
          if (!notice.read) setUnread((n) => n + 1);
          client.invalidateQueries({ queryKey: ['notices'] });
          const orderId = notice.data.orderId;
          if (typeof orderId === 'string') {
            client.invalidateQueries({ queryKey: ['order', orderId] });
            client.invalidateQueries({ queryKey: ['orders'] });
          }
          if (notice.type === 'order.confirmed') client.invalidateQueries({ queryKey: ['cart'] });
          for (const l of listeners.current) l(notice);
        });
        // the credential ran out: a new ticket (the token refreshes on the way)
        source.addEventListener('expired', () => reconnect(0));
        source.onerror = () => {
          // EventSource retries by itself while it is CONNECTING; a closed one needs a new ticket
          if (source?.readyState === EventSource.CLOSED) reconnect();
          else setConnected(false);
        };
      } catch {
        reconnect();
      }
    };
    const reconnect = (delay = Math.min(30_000, 1000 * 2 ** failures++)) => {
      source?.close();
      setConnected(false);
      if (stopped) return;
      clearTimeout(retry);
      retry = setTimeout(open, delay);
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
      setConnected(false);
    };
  }, [userId, client]);

  const value = useMemo<Live>(
    () => ({
      unread,
      setUnread,
      connected,
      listen: (l) => {
        listeners.current.add(l);
        return () => listeners.current.delete(l);
      },
    }),
    [unread, connected],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
