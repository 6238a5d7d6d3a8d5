// Small shared hooks.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Head } from './seo.js';

const noop = () => () => {};
/** false on the server and while hydrating, true afterwards: browser-only state waits for it. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Keeps document.title and the description in step on client-side navigation. */
export function useHead(head: Head | null): void {
  const last = useRef('');
  useEffect(() => {
    if (!head || last.current === head.title) return;
    last.current = head.title;
    document.title = head.title;
    document.querySelector('meta[name="description"]')?.setAttribute('content', head.description);
  }, [head]);
}
