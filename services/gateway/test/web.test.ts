// The web app at the edge: built files with their cache headers, pages through the app's server
// renderer (fed by the product service), real 404s, and the API paths left alone.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send, startServer, startTestGateway, type TestGateway, type TestServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gateway-web-'));
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
let product: TestServer;
let gateway: TestGateway;

beforeAll(async () => {
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'server'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><!--app-head--></head><body><div id="root"><!--app-html--></div><!--app-state--><script src="/assets/app-3f9a1c.js"></script></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'app-3f9a1c.js'), script);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  // a renderer with the app's contract: it reads the catalog through the fetch it is given
  writeFileSync(
    join(dir, 'server', 'entry-server.js'),
    `export async function render({ url, origin, fetch }) {
      const path = new URL(url, 'http://x').pathname;
      const m = /^\\/products\\/([^/]+)$/.exec(path);
      if (m) {
        const res = await fetch('/api/products/' + m[1], {});
        if (res.status !== 200) return { status: 404, head: '<title>Not found</title>', html: '<h1>Not found</h1>', state: '' };
        const p = await res.json();
        return { status: 200, head: '<title>' + p.name + '</title><link rel="canonical" href="' + origin + path + '">', html: '<h1>' + p.name + '</h1>', state: '<script>window.__MB__={}</script>' };
      }
      if (path === '/' || path === '/cart') return { status: 200, head: '<title>Shop</title>', html: '', state: '' };
      if (path === '/boom') throw new Error('renderer bug');
      return { status: 404, head: '<title>Not found</title>', html: '<h1>Not found</h1>', state: '' };
    }`,
  );
  product = await startServer((req, res) => {
    if (req.url === '/api/products/lamp') return json(res, 200, { name: 'Desk Lamp' });
    if (req.url === '/health/ready') return json(res, 200, { status: 'ok' });
    return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no', requestId: 'x' } });
  });
  gateway = await startTestGateway({
    AUTH_URL: 'off',
    PRODUCT_URL: product.url,
    WEB_DIR: dir,
    PUBLIC_URL: 'https://shop.example',
    STRIPE_PUBLISHABLE_KEY: 'pk_test_abc123',
  });
});

afterAll(async () => {
  await gateway?.close();
  await product?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web app at the gateway', () => {
  it('serves hashed assets for a year, compressed when asked, with a validator', async () => {
    const plain = await send(gateway.url, '/assets/app-3f9a1c.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
    expect(plain.body.toString()).toBe(script);
    const br = await send(gateway.url, '/assets/app-3f9a1c.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    expect(br.body.length).toBeLessThan(plain.body.length / 10);
    const gz = await send(gateway.url, '/assets/app-3f9a1c.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gunzipSync(gz.body).toString()).toBe(script);
    const again = await send(gateway.url, '/assets/app-3f9a1c.js', {
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    expect(again.status).toBe(304);
    const icon = await send(gateway.url, '/favicon.svg');
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('renders a product page from the catalog with its head, status 200 and no caching', async () => {
    const res = await send(gateway.url, '/products/lamp');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const html = res.body.toString();
    expect(html).toContain('<title>Desk Lamp</title>');
    expect(html).toContain('<link rel="canonical" href="https://shop.example/products/lamp">');
    expect(html).toContain('<div id="root"><h1>Desk Lamp</h1></div><script>window.__MB__={}</script>');
    expect(html).toContain('<meta name="mb:stripe-key" content="pk_test_abc123">');
    expect(product.seen.some((s) => s.url === '/api/products/lamp')).toBe(true);
  });

  it('answers a product that is gone and an unknown page with status 404 and the 404 page', async () => {
    const gone = await send(gateway.url, '/products/vanished');
    expect(gone.status).toBe(404);
    expect(gone.body.toString()).toContain('<h1>Not found</h1>');
    const unknown = await send(gateway.url, '/no/such/page');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^text\/html/);
  });

  it('falls back to the page shell when the renderer fails', async () => {
    const res = await send(gateway.url, '/boom');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain('<div id="root"></div>');
  });

  it('compresses pages for browsers that accept it', async () => {
    const res = await send(gateway.url, '/products/lamp', { headers: { 'accept-encoding': 'br' } });
    // short pages go as they are; long ones compressed
    expect(['br', undefined]).toContain(res.headers['content-encoding']);
  });

  it('leaves the API side alone: unknown API paths and missing files stay JSON 404s', async () => {
    for (const path of ['/api/nope', '/media/nope.webp', '/health/nope', '/assets/app-old.js', '/.well-known/x']) {
      const res = await send(gateway.url, path);
      expect(res.status, path).toBe(404);
      // /media is the product service's (its own 404); the rest never reach a page
      expect(res.json().error.code, path).toBe(path.startsWith('/media') ? 'NOT_FOUND' : 'ROUTE_NOT_FOUND');
    }
    expect((await send(gateway.url, '/health/live')).status).toBe(200);
  });

  it("reports every upstream's readiness at /health/services", async () => {
    const res = await send(gateway.url, '/health/services');
    expect(res.status).toBe(200);
    expect(res.json().services).toEqual([expect.objectContaining({ service: 'product', status: 'ok' })]);
  });
});

describe('gateway without the web app', () => {
  it('answers / with the JSON 404 as before', async () => {
    const bare = await startTestGateway({});
    try {
      const res = await send(bare.url, '/');
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('ROUTE_NOT_FOUND');
    } finally {
      await bare.close();
    }
  });

  it('says 503 at /health/services when an upstream is down', async () => {
    const down = await startTestGateway({ AUTH_URL: 'off', PRODUCT_URL: 'http://127.0.0.1:9' });
    try {
      const res = await send(down.url, '/health/services');
      expect(res.status).toBe(503);
      expect(res.json().services[0]).toMatchObject({ service: 'product', status: 'unavailable' });
    } finally {
      await down.close();
    }
  });
});
