// The signed-in session: tokens in localStorage (so tabs and reloads share them), one refresh in
// flight at a time, and a store React reads with useSyncExternalStore (signed out on the server).
import { useSyncExternalStore } from 'react';
import type { SessionTokens, User } from './types.js';

const KEY = 'mb.session';

interface Stored {
  user: User;
  token: string;
  refreshToken: string;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Stored | null | undefined;
let refreshing: Promise<string | null> | null = null;
/** why the last sign-out happened, shown once on the sign-in page */
let signOutReason: 'expired' | null = null;

function load(): Stored | null {
  if (current !== undefined) return current;
  if (typeof localStorage === 'undefined') return null;
  try {
    current = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Stored | null;
  } catch {
    current = null;
  }
  return current;
}

function save(next: Stored | null): void {
  current = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    current = undefined;
    for (const l of listeners) l();
  });
}

export const session = {
  user: (): User | null => load()?.user ?? null,
  token: (): string | null => load()?.token ?? null,
  set(tokens: SessionTokens): void {
    signOutReason = null;
    save({ user: tokens.user, token: tokens.token, refreshToken: tokens.refreshToken });
  },
  updateUser(user: User): void {
    const s = load();
    if (s) save({ ...s, user });
  },
  /** A new token pair from the refresh token, or null (then the caller signs out). */
  refresh(): Promise<string | null> {
    const s = load();
    if (!s) return Promise.resolve(null);
    refreshing ??= (async () => {
      try {
        const res = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: s.refreshToken }),
        });
        if (!res.ok) return null;
        const next = (await res.json()) as SessionTokens;
        save({ user: next.user, token: next.token, refreshToken: next.refreshToken });
        return next.token;
      } catch {
        return null;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  },
  signOut(reason: 'expired' | null = null): void {
    const s = load();
    signOutReason = reason;
    save(null);
    if (s && reason === null) {
      // best effort: the refresh token dies on the server too
      fetch('/api/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      }).catch(() => {});
    }
  },
  takeSignOutReason(): 'expired' | null {
    const r = signOutReason;
    signOutReason = null;
    return r;
  },
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

const serverSnapshot = () => null;

/** The signed-in user (null when signed out, and always during server rendering and hydration). */
export function useUser(): User | null {
  return useSyncExternalStore(session.subscribe, session.user, serverSnapshot);
}
