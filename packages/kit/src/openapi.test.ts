import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { createLogger } from './logger.js';
import { namedComponents } from './openapi.js';
import { ErrorResponse, errorResponses } from './schemas.js';

const Money = Type.Object({ amount: Type.Integer(), currency: Type.String() }, { title: 'Money' });

async function documentOf(routes: (app: Awaited<ReturnType<typeof createApp>>) => void) {
  const app = await createApp({ name: 'test', logger: createLogger('test', 'silent') });
  routes(app);
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  await app.close();
  return res.json();
}

describe("a service's OpenAPI document", () => {
  it('defines the error body, its response and titled schemas once and references them', async () => {
    const Item = Type.Object({ id: Type.String(), price: Money }, { title: 'Item' });
    const doc = await documentOf((app) => {
      app.get(
        '/items',
        { schema: { response: { 200: Type.Array(Item), ...errorResponses(400, 503) } } },
        async () => [],
      );
      app.post(
        '/items',
        { schema: { body: Type.Object({ price: Money }), response: { 201: Item, ...errorResponses(400, 401, 409) } } },
        async () => ({ id: 'a', price: { amount: 1, currency: 'USD' } }),
      );
    });
    const text = JSON.stringify(doc);
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Error', 'Item', 'Money']);
    // the error body's fields appear once, in its component
    expect(text.match(/"requestId"/g)).toHaveLength(2);
    expect(doc.components.schemas.Error.properties.error.required).toContain('requestId');
    expect(doc.components.responses.Error.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    for (const status of ['400', '401', '409']) {
      expect(doc.paths['/items'].post.responses[status]).toEqual({ $ref: '#/components/responses/Error' });
    }
    expect(doc.components.schemas.Item.properties.price).toEqual({ $ref: '#/components/schemas/Money' });
    expect(doc.paths['/items'].get.responses['200'].content['application/json'].schema.items).toEqual({
      $ref: '#/components/schemas/Item',
    });
    expect(doc.paths['/items'].post.requestBody.content['application/json'].schema.properties.price).toEqual({
      $ref: '#/components/schemas/Money',
    });
    expect(ErrorResponse.title).toBe('Error');
  });

  it('keeps two different schemas with one title apart, and leaves untitled ones inline', () => {
    const a = { type: 'object', title: 'Thing', properties: { a: { type: 'string' } } };
    const b = { type: 'object', title: 'Thing', properties: { b: { type: 'string' } } };
    const plain = { type: 'object', properties: { c: { type: 'string' } } };
    const schema = (s: unknown) => ({
      responses: { 200: { description: 'ok', content: { 'application/json': { schema: s } } } },
    });
    const doc = namedComponents({
      openapi: '3.1.0',
      info: { title: 'not a schema', version: '1' },
      paths: {
        '/a': { get: schema(a) },
        '/b': { get: schema(b) },
        '/c': { get: schema(plain) },
        '/d': { get: schema(a) },
      },
    }) as { components: { schemas: Record<string, unknown> }; paths: Record<string, { get: unknown }>; info: unknown };
    expect(doc.components.schemas).toEqual({ Thing: a, Thing_2: b });
    expect(JSON.stringify(doc.paths['/d']?.get)).toContain('#/components/schemas/Thing"');
    expect(JSON.stringify(doc.paths['/b']?.get)).toContain('#/components/schemas/Thing_2"');
    expect(JSON.stringify(doc.paths['/c']?.get)).toContain('"c"');
    expect(doc.info).toEqual({ title: 'not a schema', version: '1' });
  });
});
