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

describe('GET /docs', () => {
  it('merges the documents of every upstream, tags operations with the service, keeps routed paths', async () => {
    const gateway = await startTestGateway({ AUTH_URL: auth.url, PRODUCT_URL: product.url });
    try {
      const res = await send(gateway.url, '/docs');
      expect(res.status).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(doc['x-unavailable']).toEqual([]);
      expect(Object.keys(doc.paths).sort()).toEqual(
        ['/.well-known/jwks.json', '/api/auth/login', '/api/auth/users', '/api/products', '/api/products/{id}'].sort(),
      );
      expect(doc.paths['/api/auth/login'].post.tags).toEqual(['auth']);
      expect(doc.paths['/api/auth/users'].get.tags).toEqual(['auth', 'admin']);
      expect(doc.paths['/api/products/{id}'].get.tags).toEqual(['product', 'catalog']);
      expect(doc.paths['/api/products'].get.tags).toEqual(['product']);
      expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['auth', 'product']));
      expect(doc.components.securitySchemes.bearerAuth).toEqual(bearer);
      // the same component name with two meanings: the second is renamed and its references follow
      expect(doc.components.responses.Page).toEqual({ description: 'users page' });
      expect(doc.components.responses.product_Page).toEqual({ description: 'products page' });
      expect(doc.paths['/api/products'].get.responses['200'].$ref).toBe('#/components/responses/product_Page');
      expect(doc.paths['/api/auth/users'].get.responses['200'].$ref).toBe('#/components/responses/Page');

      const again = await send(gateway.url, '/docs/openapi.json');
      expect(again.json()).toEqual(doc);
    } finally {
      await gateway.close();
    }
  });

  it('caches the merged document instead of asking the upstreams on every call', async () => {
    const gateway = await startTestGateway({ AUTH_URL: auth.url });
    try {
      const before = auth.seen.length;
      for (let i = 0; i < 5; i++) expect((await send(gateway.url, '/docs')).status).toBe(200);
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
      const res = await send(gateway.url, '/docs');
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
      const doc = (await send(gateway.url, '/docs')).json();
      expect(doc['x-unavailable'].sort()).toEqual(['cart', 'product']);
      expect(doc.paths['/api/auth/login']).toBeDefined();
    } finally {
      await gateway.close();
      await silent.close();
      await broken.close();
    }
  });
});
