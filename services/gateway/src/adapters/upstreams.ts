// The gateway's clients of the services behind it: one undici keep-alive pool per upstream origin (the
// proxy streams through it), and the few calls the gateway makes itself: readiness, OpenAPI documents
// and the catalog reads of the server renderer.
import { Pool } from 'undici';
import type { UpstreamName } from '../domain/routes.js';

export interface Upstream {
  readonly name: UpstreamName;
  readonly origin: string;
  readonly pool: Pool;
}

export type Upstreams = ReadonlyMap<UpstreamName, Upstream>;

/** One keep-alive pool per upstream origin. */
export function createUpstreams(
  urls: ReadonlyMap<UpstreamName, string>,
  timeoutMs: number,
): Map<UpstreamName, Upstream> {
  const upstreams = new Map<UpstreamName, Upstream>();
  for (const [name, url] of urls) {
    const origin = new URL(url).origin;
    const pool = new Pool(origin, {
      pipelining: 1,
      connect: { timeout: Math.min(timeoutMs, 5000) },
    });
    upstreams.set(name, { name, origin, pool });
  }
  return upstreams;
}

export async function closeUpstreams(upstreams: Upstreams): Promise<void> {
  await Promise.all([...upstreams.values()].map((u) => u.pool.destroy()));
}

export interface UpstreamReadiness {
  service: string;
  status: 'ok' | 'unavailable';
  /** the service's own /health/ready body when it answered */
  checks: Record<string, unknown> | null;
  ms: number;
}

/** The upstream's own GET /health/ready; a failure to answer is `unavailable` with the error's text. */
export async function upstreamReadiness(upstream: Upstream, timeoutMs: number): Promise<UpstreamReadiness> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const res = await upstream.pool.request({
      method: 'GET',
      path: '/health/ready',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let checks: Record<string, unknown> | null = null;
    try {
      checks = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: the status says enough
    }
    return { service: upstream.name, status: res.statusCode === 200 ? 'ok' : 'unavailable', checks, ms: ms() };
  } catch (err) {
    return { service: upstream.name, status: 'unavailable', checks: { error: (err as Error).message }, ms: ms() };
  }
}

/** The upstream's GET /openapi.json; throws when it does not answer 200 with an object. */
export async function openApiDocument(upstream: Upstream, timeoutMs: number): Promise<Record<string, unknown>> {
  const res = await upstream.pool.request({
    method: 'GET',
    path: '/openapi.json',
    headers: { accept: 'application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`${upstream.name} answered ${res.statusCode}`);
  }
  const doc = await res.body.json();
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error(`${upstream.name} sent no OpenAPI document`);
  return doc as Record<string, unknown>;
}

/** A fetch as the web app's server renderer calls it. */
export type Transport = (path: string, init: RequestInit) => Promise<Response>;

/** The renderer's reads go straight to the product service's pool (the catalog is public); nothing else is reachable. */
export function catalogTransport(product: Upstream | undefined, timeoutMs: number): Transport {
  return async (path, init) => {
    if (!product || !(path.startsWith('/api/products') || path.startsWith('/api/categories'))) {
      return new Response('{"error":{"code":"ROUTE_NOT_FOUND","message":"not available to the renderer"}}', {
        status: 404,
      });
    }
    const res = await product.pool.request({
      method: 'GET',
      path,
      headers: { accept: 'application/json', 'x-forwarded-proto': 'http' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const body = await res.body.text();
    return new Response(body, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
  };
}
