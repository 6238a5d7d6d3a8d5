// GET /openapi.json: every upstream's OpenAPI document merged into one, fetched lazily and cached briefly;
// GET /docs: the interactive reference on it (docs-page.ts).
import type { App } from '@microbazaar/kit';
import { openApiDocument, type Upstreams } from '../adapters/upstreams.js';
import { type MergedDocument, mergeOpenApi, type ServiceDocument } from '../domain/openapi.js';
import type { RouteEntry, UpstreamName } from '../domain/routes.js';
import { docsPage } from './docs-page.js';
import { sendFile } from './web.js';

export interface DocsOptions {
  routes: readonly RouteEntry[];
  upstreams: Upstreams;
  /** per upstream fetch */
  timeoutMs?: number;
  cacheMs?: number;
}

/** Fetches the upstream documents on demand; one merged result is reused for cacheMs. */
export function createDocs(opts: DocsOptions): { document(): Promise<MergedDocument> } {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const cacheMs = opts.cacheMs ?? 30_000;
  const prefixes = new Map<UpstreamName, string[]>();
  for (const r of opts.routes) {
    const list = prefixes.get(r.upstream) ?? [];
    list.push(r.prefix);
    prefixes.set(r.upstream, list);
  }

  const fetchOne = async (service: UpstreamName): Promise<Record<string, unknown>> => {
    const upstream = opts.upstreams.get(service);
    if (!upstream) throw new Error(`${service} is not configured`);
    return openApiDocument(upstream, timeoutMs);
  };

  const build = async (): Promise<MergedDocument> => {
    const services = [...prefixes.keys()];
    const results = await Promise.allSettled(services.map(fetchOne));
    const parts: ServiceDocument[] = [];
    const unavailable: UpstreamName[] = [];
    results.forEach((r, i) => {
      const service = services[i]!;
      if (r.status === 'fulfilled') parts.push({ service, prefixes: prefixes.get(service)!, doc: r.value });
      else unavailable.push(service);
    });
    return mergeOpenApi(parts, unavailable);
  };

  let cached: { until: number; document: Promise<MergedDocument> } | undefined;
  return {
    document() {
      const now = Date.now();
      if (cached && cached.until > now) return cached.document;
      const entry = { until: now + cacheMs, document: build() };
      // an incomplete document is retried sooner, so a service that comes back shows up quickly
      entry.document.then((d) => {
        if (d['x-unavailable'].length) entry.until = Math.min(entry.until, Date.now() + 5000);
      });
      cached = entry;
      return entry.document;
    },
  };
}

export function docsRoutes(app: App, docs: { document(): Promise<MergedDocument> }): void {
  const page = docsPage();
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', 'no-cache').send(await docs.document()),
  );
  // where the merged document was before it moved
  app.get('/docs/openapi.json', { schema: { hide: true } }, (_req, reply) => reply.redirect('/openapi.json', 308));
  app.get('/docs', { schema: { hide: true } }, (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page.html),
  );
  app.get<{ Params: { '*': string } }>('/docs/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const file = page.assets.get(req.params['*']);
    return file ? sendFile(req, reply, file) : reply.callNotFound();
  });
}
