// The read model: backfill (whole, and cut short then resumed), product events keeping it fresh, and
// confirmed orders feeding "bought together", against PostgreSQL and RabbitMQ.
import { randomUUID } from 'node:crypto';
import { newEvent } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../src/domain/catalog.js';
import { backfillStore } from '../src/store/backfill.js';
import { catalogStore } from '../src/store/catalog.js';
import { fixtureItem, fixtureItems } from './fixtures/catalog.js';
import { type AssistantHarness, snapshotOf, startAssistantHarness } from './harness.js';

let h: AssistantHarness;

beforeAll(async () => {
  h = await startAssistantHarness('assistant-index');
});

afterAll(async () => {
  await h?.close();
});

async function searchNames(q: string, limit = 5): Promise<string[]> {
  const res = await h.app.inject({
    method: 'GET',
    url: `/api/assistant/search?q=${encodeURIComponent(q)}&limit=${limit}`,
  });
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: Array<{ name: string }> }).items.map((i) => i.name);
}

describe('backfill', () => {
  it('reads every active product page by page, resuming after a stop half-way', async () => {
    const abort = new AbortController();
    const first = await h.backfill({
      pageSize: 5,
      signal: abort.signal,
      onPage: ({ pages }) => {
        if (pages === 2) abort.abort();
      },
    });
    expect(first).toMatchObject({ outcome: 'stopped', pages: 2, products: 10 });
    const halfway = await backfillStore(h.db).get();
    expect(halfway).toMatchObject({ status: 'running', pages: 2, products: 10, nextCursor: '10' });
    expect(await catalogStore(h.db).count()).toBe(10);

    const before = h.products.requests.length;
    const second = await h.backfill({ pageSize: 5 });
    const active = fixtureItems().filter((p) => p.status === 'active').length;
    expect(second.outcome).toBe('done');
    expect(second.products).toBe(active - 10);
    // it went on from the stored cursor: no page before it was read again
    const pages = h.products.requests.slice(before).filter((r) => r.startsWith('GET /api/products?'));
    expect(pages[0]).toContain('cursor=10');
    expect(await backfillStore(h.db).get()).toMatchObject({ status: 'done', products: active });
    expect(h.service.index.size).toBe(active);

    // done is done: another start does not read the catalog again
    expect((await h.backfill()).outcome).toBe('already_done');
  });

  it('makes the catalog searchable, and reuses one vector for products sharing a text', async () => {
    expect(await searchNames('red running shoes under $50')).toEqual([
      'Trailblazer Running Shoes',
      'Scarlet Road Racers',
    ]);
    const rows = await h.db.query<{ n: number; hashes: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT content_hash)::int AS hashes FROM products',
    );
    expect(rows[0]?.hashes).toBeLessThanOrEqual(rows[0]?.n ?? 0);
  });
});

describe('events keep the index fresh', () => {
  it('a created product becomes searchable', async () => {
    const item: CatalogItem = {
      ...fixtureItem('Canvas Sneakers'),
      id: randomUUID(),
      slug: 'glacier-thermos-flask',
      name: 'Glacier Thermos Flask',
      category: 'kitchen',
      attributes: { brand: 'Thermo', color: 'teal', material: 'steel' },
      description: 'Vacuum flask that keeps soup warm all day.',
      createdAt: new Date().toISOString(),
    };
    h.products.put(item);
    await h.kit.emit('product.created', snapshotOf(item));
    await eventually(
      async () => expect(await searchNames('teal thermos flask', 3)).toContain('Glacier Thermos Flask'),
      10_000,
    );
  });

  it('a price change applies from the event alone, without reading the product again', async () => {
    const mug = fixtureItem('Ceramic Coffee Mug');
    const reads = () => h.products.requests.filter((r) => r === `GET /api/products/${mug.id}`).length;
    const readsBefore = reads();
    const cheaper = h.products.put({ ...mug, price: { amount: 700, currency: 'USD' } });
    await h.kit.emit('product.updated', snapshotOf(cheaper, ['price']));
    await eventually(async () => {
      const res = await h.app.inject({ method: 'GET', url: '/api/assistant/search?q=coffee%20mug%20under%20%248' });
      expect(res.json().items.map((i: { name: string }) => i.name)).toContain('Ceramic Coffee Mug');
    }, 10_000);
    expect(h.service.index.get(mug.id)?.item.price.amount).toBe(700);
    expect(reads()).toBe(readsBefore);
  });

  it('an edited description is read again and re-embedded', async () => {
    const lamp = fixtureItem('Brass Desk Lamp');
    const edited = h.products.put({ ...lamp, name: 'Brass Reading Lamp' });
    await h.kit.emit('product.updated', snapshotOf(edited, ['name']));
    await eventually(
      async () => expect(await searchNames('brass reading lamp', 1)).toEqual(['Brass Reading Lamp']),
      10_000,
    );
  });

  it('an archived product disappears from search and recommendations', async () => {
    const tent = fixtureItem('Two-Person Camping Tent');
    expect(await searchNames('camping tent', 3)).toContain('Two-Person Camping Tent');
    h.products.put({ ...tent, status: 'archived' });
    await h.kit.emit('product.deleted', { ...snapshotOf({ ...tent, status: 'archived' }) });
    await eventually(
      async () => expect(await searchNames('camping tent', 3)).not.toContain('Two-Person Camping Tent'),
      10_000,
    );
    const bag = fixtureItem('Down Sleeping Bag');
    const rec = await h.app.inject({
      method: 'GET',
      url: `/api/assistant/recommendations?productId=${bag.id}&limit=20`,
    });
    expect(rec.json().items.map((i: { id: string }) => i.id)).not.toContain(tent.id);
  });

  it('an event older than what the read model has changes nothing', async () => {
    const kettle = fixtureItem('Electric Kettle');
    // published before the backfill read the kettle, delivered after
    const stale = snapshotOf({ ...kettle, price: { amount: 1, currency: 'USD' } }, ['price']);
    const event = { ...newEvent('product.updated', stale), occurredAt: new Date(Date.now() - 3_600_000).toISOString() };
    await h.kit.platform.publish([event]);
    await eventually(async () => {
      const rows = await h.db.query<{ outcome: string | null }>('SELECT outcome FROM inbox WHERE event_id = $1', [
        event.id,
      ]);
      expect(rows[0]?.outcome).toBe('skipped: older than the read model');
    }, 10_000);
    await h.service.index.refresh();
    expect(h.service.index.get(kettle.id)?.item.price.amount).toBe(kettle.price.amount);
  });
});

describe('what orders teach', () => {
  it('products confirmed in one order are recommended together', async () => {
    const shoes = fixtureItem('Trailblazer Running Shoes');
    const mat = fixtureItem('Cork Yoga Mat');
    const line = (p: CatalogItem) => ({ productId: p.id, quantity: 1, unitPrice: p.price, name: p.name });
    const before = await h.app.inject({ method: 'GET', url: `/api/assistant/recommendations?productId=${shoes.id}` });
    expect(before.json().kind).toBe('similar');
    await h.kit.emit('order.confirmed', {
      orderId: randomUUID(),
      userId: randomUUID(),
      items: [line(shoes), line(mat)],
      total: { amount: shoes.price.amount + mat.price.amount, currency: 'USD' },
    });
    await eventually(async () => {
      const res = await h.app.inject({ method: 'GET', url: `/api/assistant/recommendations?productId=${shoes.id}` });
      expect(res.json().kind).toBe('bought_together');
      expect(res.json().items[0].id).toBe(mat.id);
    }, 10_000);
    // popular for a guest now starts with what sold
    const popular = await h.app.inject({ method: 'GET', url: '/api/assistant/recommendations?limit=3' });
    expect(popular.json().kind).toBe('popular');
    expect(popular.json().items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([shoes.id, mat.id]));
  });
});
