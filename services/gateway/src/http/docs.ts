// GET /openapi.json: every upstream's OpenAPI document merged into one, fetched lazily and cached briefly;
// GET /docs: the interactive reference on it (docs-page.ts).
import type { App } from '@microbazaar/kit';
import { isAtOrBelow, type RouteEntry, type UpstreamName } from '../domain/routes.js';
import { docsPage } from './docs-page.js';
import type { Upstreams } from './proxy.js';
import { sendFile } from './web.js';

type Json = Record<string, unknown>;

export interface ServiceDocument {
  service: UpstreamName;
  /** path prefixes the gateway routes to this service; other paths are not reachable through it */
  prefixes: readonly string[];
  doc: Json;
}

export interface MergedDocument extends Json {
  openapi: string;
  paths: Record<string, Json>;
  components: Record<string, Record<string, unknown>>;
  'x-unavailable': UpstreamName[];
}

const OPERATIONS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rewrites `#/components/<kind>/<name>` references after a component was renamed. */
function rewriteRefs(node: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, renames));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' ? (renames.get(value) ?? value) : rewriteRefs(value, renames);
  }
  return out;
}

/** Merges paths and components; operations are tagged with their service, clashing components renamed. */
export function mergeOpenApi(parts: readonly ServiceDocument[], unavailable: readonly UpstreamName[]): MergedDocument {
  const paths: Record<string, Json> = {};
  const components: Record<string, Record<string, unknown>> = {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  };
  const tags = new Map<string, Json>();

  for (const { service, prefixes, doc: original } of parts) {
    // a component whose name is taken by a different definition is renamed `<service>_<name>`
    const renames = new Map<string, string>();
    const theirs = isObject(original.components) ? original.components : {};
    for (const [kind, entries] of Object.entries(theirs)) {
      if (!isObject(entries)) continue;
      for (const [name, definition] of Object.entries(entries)) {
        const taken = components[kind]?.[name];
        if (taken !== undefined && JSON.stringify(taken) !== JSON.stringify(definition)) {
          renames.set(`#/components/${kind}/${name}`, `#/components/${kind}/${service}_${name}`);
        }
      }
    }
    const doc = (renames.size ? rewriteRefs(original, renames) : original) as Json;

    if (isObject(doc.components)) {
      for (const [kind, entries] of Object.entries(doc.components)) {
        if (!isObject(entries)) continue;
        const target = components[kind] ?? {};
        components[kind] = target;
        for (const [name, definition] of Object.entries(entries)) {
          const renamed = renames.get(`#/components/${kind}/${name}`);
          target[renamed ? renamed.slice(`#/components/${kind}/`.length) : name] ??= definition;
        }
      }
    }

    const described = new Map<string, string>();
    if (Array.isArray(doc.tags)) {
      for (const tag of doc.tags) {
        if (isObject(tag) && typeof tag.name === 'string') described.set(tag.name, String(tag.description ?? ''));
      }
    }

    for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item) || !prefixes.some((p) => isAtOrBelow(path, p))) continue;
      const merged: Json = { ...paths[path] };
      for (const [key, value] of Object.entries(item)) {
        if (OPERATIONS.has(key) && isObject(value)) {
          // one tag per operation (a reference lists an operation under each of its tags): the service's own
          // grouping where it has one, else the service; x-service names the service either way
          const own = Array.isArray(value.tags)
            ? value.tags.find((t) => typeof t === 'string' && t !== service)
            : undefined;
          const tag = typeof own === 'string' ? own : service;
          if (!tags.has(tag)) {
            const about = described.get(tag);
            tags.set(tag, { name: tag, description: about ? `${service} service: ${about}` : `${service} service` });
          }
          merged[key] = { ...value, tags: [tag], 'x-service': service };
        } else {
          merged[key] ??= value;
        }
      }
      paths[path] = merged;
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'microBazaar API',
      version: '0.1.0',
      description: 'Every service behind the gateway. Services listed under x-unavailable did not answer.',
    },
    // relative: calls go to the gateway that served the document
    servers: [{ url: '/', description: 'this gateway' }],
    tags: [...tags.values()],
    paths,
    components,
    'x-unavailable': [...unavailable],
  };
}

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

  const fetchOne = async (service: UpstreamName): Promise<Json> => {
    const upstream = opts.upstreams.get(service);
    if (!upstream) throw new Error(`${service} is not configured`);
    const res = await upstream.pool.request({
      method: 'GET',
      path: '/openapi.json',
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`${service} answered ${res.statusCode}`);
    }
    const doc = await res.body.json();
    if (!isObject(doc)) throw new Error(`${service} sent no OpenAPI document`);
    return doc;
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
