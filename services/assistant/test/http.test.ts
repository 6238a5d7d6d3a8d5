// The HTTP contract: shapes, 400s on bad input, the streamed answer, the chat rate limit, operations routes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureItem } from './fixtures/catalog.js';
import { type AssistantHarness, startAssistantHarness } from './harness.js';

let h: AssistantHarness;

beforeAll(async () => {
  h = await startAssistantHarness('assistant-http', { env: { ASSISTANT_CHAT_RATE_LIMIT: '0' } });
  await h.backfill();
});

afterAll(async () => {
  await h?.close();
});

describe('GET /api/assistant/search', () => {
  it('answers product cards and how the words were read', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/assistant/search?q=red%20running%20shoes%20under%20%2450&limit=5',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.interpreted).toEqual({
      text: 'red running shoes under $50',
      category: 'shoes',
      maxPrice: 4999,
      attributes: { color: 'red' },
    });
    const trail = fixtureItem('Trailblazer Running Shoes');
    expect(body.items[0]).toMatchObject({ id: trail.id, slug: trail.slug, name: trail.name, price: trail.price });
    expect(body.items[0].reason).toContain('color: red');
  });

  it('sorts as the product API does', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/assistant/search?q=cheapest%20headphones' });
    expect(res.json().interpreted.sort).toBe('price_asc');
  });

  it.each([
    ['no q', '/api/assistant/search'],
    ['empty q', '/api/assistant/search?q='],
    ['blank q', '/api/assistant/search?q=%20%20'],
    ['limit 0', '/api/assistant/search?q=mug&limit=0'],
    ['limit 51', '/api/assistant/search?q=mug&limit=51'],
    ['limit not a number', '/api/assistant/search?q=mug&limit=lots'],
    ['q of 501 characters', `/api/assistant/search?q=${'a'.repeat(501)}`],
  ])('%s → 400', async (_what, url) => {
    const res = await h.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
  });
});

describe('GET /api/assistant/recommendations', () => {
  it('similar products for a product: never itself, archived or sold out', async () => {
    const shoes = fixtureItem('Trailblazer Running Shoes');
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/assistant/recommendations?productId=${shoes.id}&limit=50`,
    });
    expect(res.statusCode).toBe(200);
    const { kind, items } = res.json();
    expect(kind).toBe('similar');
    const names = items.map((i: { name: string }) => i.name);
    expect(names).not.toContain('Trailblazer Running Shoes');
    expect(names).not.toContain('Retired Red Runners');
    expect(names).not.toContain('Scarlet Road Racers');
    expect(names.slice(0, 3)).toEqual(expect.arrayContaining(['Cloudstep Running Shoes']));
  });

  it('personal for a customer with orders, popular for a guest', async () => {
    const me = await h.user();
    h.orders.add(me.userId, {
      items: [
        { productId: fixtureItem('Studio Monitor Headphones').id, name: 'Studio Monitor Headphones', quantity: 1 },
      ],
    });
    const mine = await h.app.inject({ method: 'GET', url: '/api/assistant/recommendations?limit=3', headers: me.auth });
    expect(mine.json().kind).toBe('personal');
    expect(mine.json().items.map((i: { name: string }) => i.name)).not.toContain('Studio Monitor Headphones');
    expect(mine.json().items.map((i: { name: string }) => i.name)).toContain('Wireless Over-Ear Headphones');
    const guest = await h.app.inject({ method: 'GET', url: '/api/assistant/recommendations?limit=3' });
    expect(guest.json().kind).toBe('popular');
    expect(guest.json().items).toHaveLength(3);
  });

  it('400 for a bad id or limit, 404 for an unknown product', async () => {
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/assistant/recommendations?productId=nope' })).statusCode,
    ).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/api/assistant/recommendations?limit=0' })).statusCode).toBe(400);
    const unknown = await h.app.inject({
      method: 'GET',
      url: `/api/assistant/recommendations?productId=${randomUUID()}`,
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('POST /api/assistant/chat', () => {
  it.each([
    ['an empty message', { message: '' }],
    ['a blank message', { message: '   ' }],
    ['a 10 000-character message', { message: 'a'.repeat(10_000) }],
    ['no message', {}],
    ['a bad conversation id', { message: 'hi', conversationId: 'not-a-uuid' }],
    ['an unknown field', { message: 'hi', role: 'admin' }],
  ])('%s → 400', async (_what, payload) => {
    const res = await h.app.inject({ method: 'POST', url: '/api/assistant/chat', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('a body past the size limit is 413 with the error body, not a crash or a hang', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/assistant/chat',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ message: 'x'.repeat(3_000_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
  });

  it('a bad token is 401, not a guest', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/assistant/chat',
      headers: { authorization: 'Bearer not.a.token' },
      payload: { message: 'hi' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('streams the answer with Accept: text/event-stream: tokens, products, done', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/assistant/chat',
      headers: { accept: 'text/event-stream' },
      payload: { message: 'red running shoes under $50' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.body
      .trim()
      .split('\n\n')
      .map((block) => {
        const [event, data] = block.split('\n');
        return { event: event?.replace('event: ', ''), data: JSON.parse(data?.replace('data: ', '') ?? 'null') };
      });
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    expect(events.at(-2)).toEqual({ event: 'products', data: done?.data.products });
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.map((t) => t.data.text).join('')).toBe(done?.data.reply);
    expect(done?.data).toMatchObject({ intent: 'product_search', conversationId: expect.any(String) });
  });
});

describe('rate limit', () => {
  it('counts chat messages per user or IP: 429 with retry-after past the limit', async () => {
    const limited = await startAssistantHarness('assistant-rate', {
      env: { ASSISTANT_CHAT_RATE_LIMIT: '2' },
      workers: false,
      items: [],
    });
    try {
      const send = (headers: Record<string, string> = {}) =>
        limited.app.inject({ method: 'POST', url: '/api/assistant/chat', headers, payload: { message: 'hello' } });
      expect((await send()).statusCode).toBe(200);
      expect((await send()).statusCode).toBe(200);
      const third = await send();
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
      // a signed-in customer has their own allowance
      const me = await limited.user();
      expect((await send(me.auth)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('operations', () => {
  it('health, metrics and the OpenAPI document', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { db: 'ok', bus: 'ok' } });
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('http_requests_total');
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/assistant/chat',
        '/api/assistant/search',
        '/api/assistant/recommendations',
        '/api/assistant/conversations/{id}',
        '/api/assistant/handoffs',
      ]),
    );
  });
});
