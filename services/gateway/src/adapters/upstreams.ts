// The gateway's clients of the services behind it: each upstream's instances (one URL or several,
// comma-separated: `PRODUCT_URL=http://a:3001,http://b:3001`), a keep-alive pool per instance, round robin
// over the ready ones and a request that never reached an instance tried on the next one, so a rolling
// update's stopping instance fails nothing; and the few calls the gateway makes itself: readiness, OpenAPI
// documents and the catalog reads of the server renderer.
import { list } from '@microbazaar/kit';
import { type Dispatcher, Pool } from 'undici';
import type { UpstreamName } from '../domain/routes.js';

/** How often the gateway asks each instance of a multi-instance upstream for /health/ready. */
export const INSTANCE_CHECK_INTERVAL_MS = 1000;

export interface Instance {
  readonly origin: string;
  readonly pool: Pool;
  /** last /health/ready said 200 (and no connection was refused since) */
  ready: boolean;
}

// the instance never got the request (refused, nothing listening) or lost the connection before any answer
const REFUSED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const errorCode = (err: unknown) => (err as { code?: string }).code ?? '';

/**
 * The instances of one upstream, behind the `request` of an undici pool. A refused connection is safe
 * to try elsewhere for any request without a body (nothing was sent); a connection lost midway, or a
 * closing instance's 503, only for GET and HEAD (the instance may have acted on anything else). Bodies
 * are streamed once, so a request with a body is never repeated.
 */
export class InstancePool {
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly instances: readonly Instance[],
    private readonly checkTimeoutMs: number,
  ) {
    // one instance (a Kubernetes Service, a load balancer) keeps its own rotation: nothing to check
    if (instances.length > 1) {
      this.timer = setInterval(() => void this.check(), INSTANCE_CHECK_INTERVAL_MS);
      this.timer.unref();
      void this.check();
    }
  }

  /** The ready instances from the round-robin cursor on, then the others (tried only when those fail). */
  private order(): Instance[] {
    const ready = this.instances.filter((i) => i.ready);
    const start = ready.length ? this.cursor++ % ready.length : 0;
    const rotated = [...ready.slice(start), ...ready.slice(0, start)];
    return [...rotated, ...this.instances.filter((i) => !i.ready)];
  }

  async request(opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    if (this.instances.length === 1) return (this.instances[0] as Instance).pool.request(opts);
    const bodyless = opts.body === undefined || opts.body === null;
    const idempotent = bodyless && (opts.method === 'GET' || opts.method === 'HEAD');
    const order = this.order();
    for (let i = 0; ; i++) {
      const instance = order[i] as Instance;
      const last = i === order.length - 1;
      try {
        const res = await instance.pool.request(opts);
        // an instance whose port is closing turns away what still arrives on an open connection (503 and
        // `connection: close`, before any route ran): a GET goes to the next instance
        if (idempotent && !last && res.statusCode === 503 && res.headers.connection === 'close') {
          instance.ready = false;
          await res.body.dump();
          continue;
        }
        return res;
      } catch (err) {
        const code = errorCode(err);
        const refused = REFUSED.has(code);
        if (refused) instance.ready = false; // until its readiness says otherwise
        const retry = (refused && bodyless) || (idempotent && CONNECTION_LOST.has(code));
        if (!retry || last || (opts.signal as AbortSignal | undefined)?.aborted) throw err;
      }
    }
  }

  /** Each instance's /health/ready: a draining instance (503) or a stopped one leaves the rotation. */
  private async check(): Promise<void> {
    await Promise.all(
      this.instances.map(async (instance) => {
        try {
          const res = await instance.pool.request({
            method: 'GET',
            path: '/health/ready',
            headersTimeout: this.checkTimeoutMs,
            bodyTimeout: this.checkTimeoutMs,
          });
          await res.body.dump();
          instance.ready = res.statusCode === 200;
        } catch {
          instance.ready = false;
        }
      }),
    );
  }

  async destroy(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.instances.map((i) => i.pool.destroy()));
  }
}

export interface Upstream {
  readonly name: UpstreamName;
  /** the first instance's origin */
  readonly origin: string;
  readonly pool: InstancePool;
}

export type Upstreams = ReadonlyMap<UpstreamName, Upstream>;

/** An upstream per name, from its `<NAME>_URL`: one URL or several, comma-separated (its instances). */
export function createUpstreams(
  urls: ReadonlyMap<UpstreamName, string>,
  timeoutMs: number,
): Map<UpstreamName, Upstream> {
  const upstreams = new Map<UpstreamName, Upstream>();
  for (const [name, value] of urls) {
    const origins = list(value).map((url) => {
      try {
        return new URL(url).origin;
      } catch {
        throw new Error(`${name.toUpperCase()}_URL: "${url}" is not a URL`);
      }
    });
    if (!origins.length) throw new Error(`${name.toUpperCase()}_URL names no instance`);
    const instances = origins.map((origin) => ({
      origin,
      pool: new Pool(origin, { pipelining: 1, connect: { timeout: Math.min(timeoutMs, 5000) } }),
      ready: true,
    }));
    upstreams.set(name, {
      name,
      origin: origins[0] as string,
      pool: new InstancePool(instances, Math.min(timeoutMs, 2000)),
    });
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
