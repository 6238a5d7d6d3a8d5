// The one OpenAPI document of the edge: every service's document merged, paths limited to the prefixes the
// gateway routes to that service, operations tagged with it, clashing components renamed. No I/O.
import { isAtOrBelow, type UpstreamName } from './routes.js';

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
