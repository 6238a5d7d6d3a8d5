import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, send, startServer, startTestGateway, type TestServer } from './helpers.js';

const bearer = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };

const authDoc = {
  openapi: '3.1.0',
  info: { title: 'microBazaar auth', version: '0.1.0' },
  tags: [{ name: 'admin', description: 'user management' }],
  paths: {
    '/api/auth/login': { post: { tags: ['auth'], responses: { 200: { description: 'ok' } } } },
    '/api/auth/users': { get: { tags: ['admin'], responses: { 200: { $ref: '#/components/responses/Page' } } } },
    '/.well-known/jwks.json': { get: { responses: { 200: { description: 'keys' } } } },
    '/internal/reindex': { post: { responses: { 204: { description: 'not routed by the gateway' } } } },
  },
  components: {
    securitySchemes: { bearerAuth: bearer },
    responses: { Page: { description: 'users page' } },
  },
};

const productDoc = {
  openapi: '3.1.0',
  info: { title: 'microBazaar product', version: '0.1.0' },
  paths: {
    '/api/products': { get: { responses: { 200: { $ref: '#/components/responses/Page' } } } },
    '/api/products/{id}': { get: { tags: ['catalog'], responses: { 200: { description: 'product' } } } },
  },
  components: {
    securitySchemes: { bearerAuth: bearer },
    responses: { Page: { description: 'products page' } },
  },
};

let auth: TestServer;
let product: TestServer;

beforeAll(async () => {
  auth = await startServer((req, res) => (req.url === '/openapi.json' ? json(res, 200, authDoc) : json(res, 404, {})));
  product = await startServer((req, res) =>
    req.url === '/openapi.json' ? json(res, 200, productDoc) : json(res, 404, {}),
  );
});

afterAll(async () => {
  await auth?.close();
  await product?.close();
});

describe('GET /openapi.json', () => {
  it('merges the documents of every upstream, tags operations with the service, keeps routed paths', async () => {
    const gateway = await startTestGateway({ AUTH_URL: auth.url, PRODUCT_URL: product.url });
    try {
      const res = await send(gateway.url, '/openapi.json');
      expect(res.status).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(doc['x-unavailable']).toEqual([]);
      expect(Object.keys(doc.paths).sort()).toEqual(
        ['/.well-known/jwks.json', '/api/auth/login', '/api/auth/users', '/api/products', '/api/products/{id}'].sort(),
      );
      // one tag each, so a reference lists every operation once: the service's own, else the service's name
      expect(doc.paths['/api/auth/login'].post.tags).toEqual(['auth']);
      expect(doc.paths['/api/auth/users'].get.tags).toEqual(['admin']);
      expect(doc.paths['/api/products/{id}'].get.tags).toEqual(['catalog']);
      expect(doc.paths['/api/products'].get.tags).toEqual(['product']);
      expect(doc.paths['/api/products'].get['x-service']).toBe('product');
      expect(doc.paths['/api/auth/users'].get['x-service']).toBe('auth');
      expect(doc.tags).toEqual([
        { name: 'auth', description: 'auth service' },
        { name: 'admin', description: 'auth service: user management' },
        { name: 'product', description: 'product service' },
        { name: 'catalog', description: 'product service' },
      ]);
      expect(doc.components.securitySchemes.bearerAuth).toEqual(bearer);
      // the same component name with two meanings: the second is renamed and its references follow
      expect(doc.components.responses.Page).toEqual({ description: 'users page' });
      expect(doc.components.responses.product_Page).toEqual({ description: 'products page' });
      expect(doc.paths['/api/products'].get.responses['200'].$ref).toBe('#/components/responses/product_Page');
      expect(doc.paths['/api/auth/users'].get.responses['200'].$ref).toBe('#/components/responses/Page');

      // where it was before
      const moved = await send(gateway.url, '/docs/openapi.json');
      expect(moved.status).toBe(308);
      expect(moved.headers.location).toBe('/openapi.json');
    } finally {
      await gateway.close();
    }
  });

  it('caches the merged document instead of asking the upstreams on every call', async () => {
    const gateway = await startTestGateway({ AUTH_URL: auth.url });
    try {
      const before = auth.seen.length;
      for (let i = 0; i < 5; i++) expect((await send(gateway.url, '/openapi.json')).status).toBe(200);
      expect(auth.seen.length - before).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  it('leaves out an upstream that is down and lists it under x-unavailable', async () => {
    const doomed = await startServer((_req, res) => json(res, 200, productDoc));
    const gateway = await startTestGateway({ AUTH_URL: auth.url, PRODUCT_URL: doomed.url });
    await doomed.close();
    try {
      const res = await send(gateway.url, '/openapi.json');
      expect(res.status).toBe(200);
      const doc = res.json();
      expect(doc['x-unavailable']).toEqual(['product']);
      expect(doc.paths['/api/auth/login']).toBeDefined();
      expect(doc.paths['/api/products']).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });

  it('leaves out an upstream that does not answer in time or answers with an error', async () => {
    const silent = await startServer(() => {});
    const broken = await startServer((_req, res) => json(res, 500, { error: 'boom' }));
    const gateway = await startTestGateway({ AUTH_URL: auth.url, PRODUCT_URL: silent.url, CART_URL: broken.url });
    try {
      const doc = (await send(gateway.url, '/openapi.json')).json();
      expect(doc['x-unavailable'].sort()).toEqual(['cart', 'product']);
      expect(doc.paths['/api/auth/login']).toBeDefined();
    } finally {
      await gateway.close();
      await silent.close();
      await broken.close();
    }
  });
});

describe('GET /docs', () => {
  it('serves the interactive reference from its own files, which load from this origin', async () => {
    const gateway = await startTestGateway({ AUTH_URL: auth.url });
    try {
      const page = await send(gateway.url, '/docs');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const html = page.body.toString('utf8');
      expect(html).toContain('<title>microBazaar API reference</title>');
      const assets = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
      const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] as string);
      expect(scripts.length).toBe(2);
      expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
      for (const asset of assets) {
        // our own origin: a path, never a CDN's address
        expect(asset, asset).toMatch(/^\/docs\/assets\//);
        const res = await send(gateway.url, asset, { headers: { 'accept-encoding': 'gzip' } });
        expect(res.status, asset).toBe(200);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        const type = String(res.headers['content-type']);
        if (asset.endsWith('.js')) expect(type).toMatch(/^text\/javascript/);
        if (asset.endsWith('.css')) expect(type).toMatch(/^text\/css/);
        if (asset.endsWith('.png')) expect(type).toBe('image/png');
      }
      // the page's own script starts Swagger UI on the merged document
      const init = scripts.find((s) => s.includes('/docs.'));
      const script = (await send(gateway.url, init ?? '/missing')).body.toString('utf8');
      expect(script).toContain("url: '/openapi.json'");
      expect(script).toContain('validatorUrl: null');
      const bundle = await send(gateway.url, scripts[0] ?? '/missing', { headers: { 'accept-encoding': 'gzip' } });
      expect(bundle.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(bundle.body).toString('utf8')).toContain('SwaggerUIBundle');
      // nothing else under /docs/assets
      expect((await send(gateway.url, '/docs/assets/package.json')).status).toBe(404);
      expect((await send(gateway.url, '/docs/assets/../../package.json')).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });
});
