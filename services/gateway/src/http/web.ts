// The web app at the edge: its built files from memory (hashed assets cached for a year), and every
// page URL answered with index.html, its head and, for catalog pages, content rendered on the server.
// /api, /media, /health, /metrics and /docs keep their own routes; unknown paths there stay JSON 404s.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import type { App, FastifyReply, FastifyRequest, Logger } from '@microbazaar/kit';
import { catalogTransport, type Transport, type Upstream } from '../adapters/upstreams.js';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** What the app's server renderer (apps/web/src/entry-server.tsx) answers. */
export interface RenderResult {
  status: number;
  head: string;
  html: string;
  state: string;
}
export type Render = (req: { url: string; origin: string; fetch: Transport }) => Promise<RenderResult>;

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  /** content-hashed name: cached for a year */
  immutable: boolean;
  compressible: boolean;
  encoded: Map<'br' | 'gzip', Promise<Buffer>>;
}

export interface WebApp {
  files: ReadonlyMap<string, StaticFile>;
  /** index.html split at its placeholders */
  template: { beforeHead: string; afterHead: string; afterHtml: string; tail: string };
  render: Render;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.webmanifest']);

/** Paths that belong to the API side of the gateway: never answered with a page. */
const RESERVED = ['/api', '/media', '/health', '/metrics', '/docs', '/openapi.json', '/.well-known'];

/** A file served from memory; `immutable` when its name changes with its content (cached for a year). */
export function staticFile(body: Buffer, ext: string, immutable: boolean): StaticFile {
  return {
    body,
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
    immutable,
    compressible: COMPRESSIBLE.has(ext) && body.length > 512,
    encoded: new Map(),
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Reads the built app (`apps/web/dist`); undefined when it is not there. */
export async function loadWebApp(dir: string, logger: Logger, stripePublishableKey = ''): Promise<WebApp | undefined> {
  const indexPath = join(dir, 'index.html');
  const rendererPath = join(dir, 'server', 'entry-server.js');
  if (!existsSync(indexPath) || !existsSync(rendererPath)) {
    logger.warn({ dir }, 'no built web app here: pages are not served (npm start builds it)');
    return undefined;
  }
  const files = new Map<string, StaticFile>();
  for (const full of walk(dir)) {
    const rel = relative(dir, full).split(sep).join('/');
    if (rel.startsWith('server/') || rel === 'index.html' || rel.startsWith('.')) continue;
    files.set(`/${rel}`, staticFile(readFileSync(full), extname(full), rel.startsWith('assets/')));
  }
  let index = readFileSync(indexPath, 'utf8');
  if (stripePublishableKey) {
    const safe = stripePublishableKey.replace(/[^\w-]/g, '');
    index = index.replace('<!--app-head-->', `<meta name="mb:stripe-key" content="${safe}">\n    <!--app-head-->`);
  }
  const [beforeHead, rest1 = ''] = index.split('<!--app-head-->');
  const [afterHead, rest2 = ''] = rest1.split('<!--app-html-->');
  const [afterHtml, tail = ''] = rest2.split('<!--app-state-->');
  if (beforeHead === undefined || afterHead === undefined || afterHtml === undefined) {
    throw new Error(`${indexPath} lacks the <!--app-head-->, <!--app-html--> or <!--app-state--> placeholder`);
  }
  const mod = (await import(pathToFileURL(rendererPath).href)) as { render: Render };
  return { files, template: { beforeHead, afterHead, afterHtml, tail }, render: mod.render };
}

function acceptsEncoding(req: FastifyRequest): 'br' | 'gzip' | undefined {
  const accept = req.headers['accept-encoding'];
  if (typeof accept !== 'string') return undefined;
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

function encode(body: Buffer, encoding: 'br' | 'gzip', quality: number): Promise<Buffer> {
  return encoding === 'br'
    ? brotli(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: quality, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gz(body, { level: quality >= 9 ? 9 : 6 });
}

export async function sendFile(req: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  reply
    .header('content-type', file.type)
    .header('etag', file.etag)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600')
    .header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const encoding = file.compressible ? acceptsEncoding(req) : undefined;
  if (!encoding) return reply.send(file.body);
  let encoded = file.encoded.get(encoding);
  if (!encoded) {
    // compressed once, at the best ratio, on first request
    encoded = encode(file.body, encoding, 11);
    file.encoded.set(encoding, encoded);
  }
  return reply
    .header('content-encoding', encoding)
    .header('vary', 'accept-encoding')
    .send(await encoded);
}

export interface WebOptions {
  web: WebApp;
  product: Upstream | undefined;
  timeoutMs: number;
  /** scheme and host for canonical URLs; the request's own when empty */
  publicUrl: string;
}

export function webRoutes(app: App, opts: WebOptions): void {
  const { web } = opts;
  const fetchProducts = catalogTransport(opts.product, opts.timeoutMs);
  const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : '';

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    if (RESERVED.some((p) => path === p || path.startsWith(`${p}/`))) return reply.callNotFound();
    const file = web.files.get(path);
    if (file) return sendFile(req, reply, file);
    // a missing file (an old hashed asset, say) is a plain 404, not a page
    if (/\.[a-z0-9]{1,8}$/i.test(path)) return reply.callNotFound();

    const origin = publicOrigin || `${req.protocol}://${req.host}`;
    let page: RenderResult;
    try {
      page = await web.render({ url: req.url, origin, fetch: fetchProducts });
    } catch (err) {
      // the browser can still render the page itself
      req.log.error({ err }, 'server rendering failed');
      page = { status: 200, head: '<title>microBazaar</title>', html: '', state: '' };
    }
    const t = web.template;
    const html = Buffer.from(
      `${t.beforeHead}${page.head}${t.afterHead}${page.html}${t.afterHtml}${page.state}${t.tail}`,
    );
    reply
      .code(page.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'strict-origin-when-cross-origin')
      .header('vary', 'accept-encoding');
    const encoding = acceptsEncoding(req);
    if (!encoding || html.length < 1024) return reply.send(html);
    // a fast setting: pages are made per request
    return reply.header('content-encoding', encoding).send(await encode(html, encoding, 4));
  };

  const config = { schema: { hide: true }, handler };
  app.get('/', config);
  app.get('/*', config);
}
