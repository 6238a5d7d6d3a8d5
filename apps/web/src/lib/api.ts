// One way to call the API: JSON in and out, the error body turned into ApiError, the session's
// token attached, one refresh on a 401, and the guest cart id carried for the cart routes.
import { session } from './session.js';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field name → message, from validation details such as `body/shippingAddress/postalCode`. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      const field = d.path.split('/').filter(Boolean).pop();
      if (field && !out[field]) out[field] = d.message;
    }
    return out;
  }
}

export type Transport = (path: string, init: RequestInit) => Promise<Response>;

let transport: Transport = (path, init) => fetch(path, init);

/** The server renderer sends the app's reads straight to the services. */
export function setTransport(t: Transport): void {
  transport = t;
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** a token other than the session's (a session not yet stored) */
  token?: string;
}

const CART_ID_KEY = 'mb.cartId';

export function guestCartId(): string | null {
  return typeof localStorage === 'undefined' ? null : localStorage.getItem(CART_ID_KEY);
}

export function forgetGuestCart(): void {
  localStorage.removeItem(CART_ID_KEY);
}

async function send(path: string, opts: CallOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const isCart = path.startsWith('/api/cart');
  if (isCart && !token) {
    const id = guestCartId();
    if (id) headers['x-cart-id'] = id;
  }
  const init: RequestInit = { method: opts.method ?? 'GET', headers };
  if (opts.signal) init.signal = opts.signal;
  if (opts.json !== undefined) init.body = JSON.stringify(opts.json);
  else if (opts.body !== undefined) init.body = opts.body;
  let res: Response;
  try {
    res = await transport(path, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'The shop cannot be reached. Check your connection and try again.');
  }
  if (isCart && !token) {
    const id = res.headers.get('x-cart-id');
    if (id && typeof localStorage !== 'undefined') localStorage.setItem(CART_ID_KEY, id);
  }
  return res;
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: ErrorDetail[] } } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  const e = body.error ?? {};
  const fallback =
    res.status >= 500
      ? 'This part of the shop is unavailable right now. Try again shortly.'
      : `Request failed (${res.status})`;
  return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? fallback, e.details ?? []);
}

/** Calls the API; a 401 with a token refreshes once and retries, then signs out. */
export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  if (opts.token) {
    const res = await send(path, opts, opts.token);
    if (!res.ok) throw await toApiError(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  let token = session.token();
  let res = await send(path, opts, token);
  if (res.status === 401 && token) {
    token = await session.refresh();
    if (token) res = await send(path, opts, token);
    else session.signOut('expired');
  }
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
