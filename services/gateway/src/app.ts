// The gateway's composition root: CORS, docs, and the proxy routes of every configured upstream. It keeps no
// database and writes no events, and its own routes are hidden (its /openapi.json is the services'): it builds
// its app with the kit's createApp directly, not createServiceApp, and has no background work.
import cors from '@fastify/cors';
import {
  type App,
  type Cache,
  createApp,
  createGuards,
  createJwksVerifier,
  type Logger,
  list,
  RateLimiter,
  type TokenVerifier,
} from '@microbazaar/kit';
import { closeUpstreams, createUpstreams, type Upstreams } from './adapters/upstreams.js';
import { type GatewayConfig, upstreamUrl } from './config.js';
import { liveRoutes, ROUTES, type UpstreamName } from './domain/routes.js';
import { createDocs, docsRoutes } from './http/docs.js';
import { proxyRoutes } from './http/proxy.js';
import { servicesHealthRoutes } from './http/services-health.js';
import { loadWebApp, webRoutes } from './http/web.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  /** rate-limit counters (Redis across instances, memory otherwise) */
  cache: Cache;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
}

export interface GatewayService {
  app: App;
  /** one pool per upstream whose routes are on, closed with the app */
  upstreams: Upstreams;
}

const RATE_WINDOW_MS = 60_000;

export async function buildApp(deps: GatewayDeps): Promise<GatewayService> {
  const { config, logger, cache } = deps;
  const app = await createApp({
    name: 'gateway',
    logger,
    description: 'Edge of microBazaar: routing, token checks, rate limits, CORS. The API of every service is at /docs.',
    // the gateway's own routes are all hidden: its /openapi.json is the merged one of the services (docs.ts)
    openapi: false,
    // the proxy applies the body and upload limits per route; this one bounds the gateway's own routes
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    // upstreams are not checked: each reports its own readiness, and the gateway still answers 503 for them
    readiness: { cache: () => cache.ping() },
    // the edge: readiness without error texts, /metrics only with METRICS_TOKEN
    publicEdge: { metricsToken: config.METRICS_TOKEN },
  });

  const origins = list(config.CORS_ORIGINS);
  await app.register(cors, {
    // `*` comes only without credentials (loadConfig refuses the pair): then any origin, no cookies
    origin: origins.includes('*') ? '*' : origins,
    credentials: config.CORS_CREDENTIALS,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: ['x-request-id', 'retry-after', 'x-cart-id'],
    maxAge: 600,
  });

  const routes = liveRoutes(ROUTES, (name) => upstreamUrl(config, name) !== undefined);
  const urls = new Map<UpstreamName, string>();
  for (const r of routes) urls.set(r.upstream, upstreamUrl(config, r.upstream)!);
  const upstreams = createUpstreams(urls, config.UPSTREAM_TIMEOUT_MS);
  app.addHook('onClose', () => closeUpstreams(upstreams));

  const verifier =
    deps.verifier ??
    createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const guards = createGuards(verifier);

  docsRoutes(app, createDocs({ routes, upstreams }));
  servicesHealthRoutes(app, { upstreams, guards, timeoutMs: Math.min(config.UPSTREAM_TIMEOUT_MS, 3000) });

  const web =
    config.WEB_DIR && config.WEB_DIR !== 'off'
      ? await loadWebApp(config.WEB_DIR, logger, config.STRIPE_PUBLISHABLE_KEY)
      : undefined;
  if (web) {
    webRoutes(app, {
      web,
      product: upstreams.get('product'),
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      publicUrl: config.PUBLIC_URL ?? '',
    });
  }

  await app.register(proxyRoutes, {
    routes,
    upstreams,
    guards,
    limiter:
      config.RATE_LIMIT_PER_MINUTE > 0
        ? new RateLimiter(cache, 'gateway', config.RATE_LIMIT_PER_MINUTE, RATE_WINDOW_MS)
        : undefined,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    uploadLimit: config.GATEWAY_UPLOAD_LIMIT_BYTES,
    uploadTimeoutMs: config.GATEWAY_UPLOAD_TIMEOUT_MS,
  });
  return { app, upstreams };
}
