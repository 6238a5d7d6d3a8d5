// The gateway's route table: which upstream serves a path prefix and what the edge demands of a caller.

export const UPSTREAMS = ['auth', 'product', 'cart', 'order', 'payment', 'notification', 'assistant'] as const;
export type UpstreamName = (typeof UPSTREAMS)[number];

/** public: no check at the edge; required: a valid access token; writes: a token for POST/PUT/PATCH/DELETE. */
export type AuthPolicy = 'public' | 'required' | 'writes';

export interface PathPolicy {
  /** a path at or below the entry's prefix; matches itself and everything below it */
  readonly path: string;
  readonly auth: AuthPolicy;
}

export interface RouteEntry {
  /** no trailing slash; matches the prefix itself and everything below it */
  readonly prefix: string;
  readonly upstream: UpstreamName;
  readonly auth: AuthPolicy;
  /** deeper paths with another policy; the longest matching path wins */
  readonly overrides?: readonly PathPolicy[];
  /** long-lived responses (server-sent events): no body timeout, no idle socket timeout */
  readonly stream?: boolean;
  /** takes multipart/form-data uploads: such bodies get the larger upload limit */
  readonly uploads?: boolean;
}

/**
 * One line per prefix. An entry is live when its upstream's `<NAME>_URL` is configured, so a new
 * service is switched on by its variable (config.ts). Services verify tokens again: the edge
 * check only turns away anonymous callers early.
 */
export const ROUTES: readonly RouteEntry[] = [
  {
    prefix: '/api/auth',
    upstream: 'auth',
    auth: 'public',
    // logout stays public: it takes the refresh token in the body
    overrides: [
      { path: '/api/auth/me', auth: 'required' },
      { path: '/api/auth/users', auth: 'required' },
    ],
  },
  { prefix: '/.well-known', upstream: 'auth', auth: 'public' },
  // product forms carry their images (the seed's multipart create, and POST /api/products/:id/images)
  { prefix: '/api/products', upstream: 'product', auth: 'writes', uploads: true },
  { prefix: '/api/categories', upstream: 'product', auth: 'writes' },
  { prefix: '/media', upstream: 'product', auth: 'public' },
  // guests have carts: the cart service tells guests and users apart itself
  { prefix: '/api/cart', upstream: 'cart', auth: 'public' },
  { prefix: '/api/orders', upstream: 'order', auth: 'required' },
  {
    prefix: '/api/payments',
    upstream: 'payment',
    auth: 'required',
    // providers call webhooks without a token; the service checks their signature
    overrides: [{ path: '/api/payments/webhooks', auth: 'public' }],
  },
  { prefix: '/api/notifications', upstream: 'notification', auth: 'required' },
  // EventSource cannot send an Authorization header, so the notification service authenticates the stream
  { prefix: '/api/notifications/stream', upstream: 'notification', auth: 'public', stream: true },
  { prefix: '/api/assistant', upstream: 'assistant', auth: 'public' },
];

const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Does a request with this method need a token under this policy? */
export function policyNeedsToken(policy: AuthPolicy, method: string): boolean {
  return policy === 'required' || (policy === 'writes' && WRITES.has(method));
}

/** True when `url` (path, optionally with a query) is `path` or lies below it. */
export function isAtOrBelow(url: string, path: string): boolean {
  if (!url.startsWith(path)) return false;
  if (url.length === path.length) return true;
  const next = url.charCodeAt(path.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

/** Routers match percent-decoded paths, so the edge decides on the decoded path too. */
function decodedPath(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (!path.includes('%')) return url;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export type TokenRule = (method: string, url: string) => boolean;

const NEVER: TokenRule = () => false;
const ALWAYS: TokenRule = () => true;
const ON_WRITES: TokenRule = (method) => WRITES.has(method);
const BY_POLICY: Record<AuthPolicy, TokenRule> = { public: NEVER, required: ALWAYS, writes: ON_WRITES };

/** Compiles an entry's policy into one function, so a request costs no more than its overrides. */
export function tokenRule(entry: RouteEntry): TokenRule {
  const fallback = BY_POLICY[entry.auth];
  const overrides = [...(entry.overrides ?? [])].sort((a, b) => b.path.length - a.path.length);
  if (overrides.length === 0) return fallback;
  return (method, url) => {
    const path = decodedPath(url);
    for (const o of overrides) if (isAtOrBelow(path, o.path)) return policyNeedsToken(o.auth, method);
    return fallback(method, url);
  };
}

/** The entries whose upstream is configured. */
export function liveRoutes(
  routes: readonly RouteEntry[],
  isConfigured: (upstream: UpstreamName) => boolean,
): RouteEntry[] {
  return routes.filter((r) => isConfigured(r.upstream));
}
