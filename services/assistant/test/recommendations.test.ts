// Recommendations against PostgreSQL and RabbitMQ: what confirmed orders teach (bought together, popular),
// what a customer's cart says about them, and the rule every list keeps: never archived, sold out or itself.
import { randomUUID } from 'node:crypto';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../src/domain/catalog.js';
import { fixtureItem } from './fixtures/catalog.js';
import { type AssistantHarness, snapshotOf, startAssistantHarness } from './harness.js';

let h: AssistantHarness;

beforeAll(async () => {
  h = await startAssistantHarness('assistant-recs', { env: { ASSISTANT_CHAT_RATE_LIMIT: '0' } });
  await h.backfill();
});

afterAll(async () => {
  await h?.close();
});

const kettle = fixtureItem('Electric Kettle');
const pourOver = fixtureItem('Pour-Over Coffee Maker');
const soldOut = fixtureItem('Scarlet Road Racers'); // stock 0 in the fixture
const bag = fixtureItem('Down Sleeping Bag');
const mug = fixtureItem('Ceramic Coffee Mug');

async function recommend(query: string, headers: Record<string, string> = {}) {
  const res = await h.app.inject({ method: 'GET', url: `/api/assistant/recommendations?${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { kind: string; items: Array<{ id: string; name: string; reason?: string }> };
}

async function confirmOrder(...items: CatalogItem[]) {
  const lines = items.map((p) => ({ productId: p.id, quantity: 1, unitPrice: p.price, name: p.name }));
  const event = await h.kit.emit('order.confirmed', {
    orderId: randomUUID(),
    userId: randomUUID(),
    items: lines,
    total: { amount: items.reduce((s, p) => s + p.price.amount, 0), currency: 'USD' },
  });
  await eventually(async () => {
    const rows = await h.db.query<{ outcome: string | null }>('SELECT outcome FROM inbox WHERE event_id = $1', [
      event.id,
    ]);
    expect(rows).toHaveLength(1);
  }, 15_000);
}

describe('what confirmed orders teach', () => {
  beforeAll(async () => {
    // the sold-out racers and the sleeping bag sell most, and both were bought with the kettle
    await confirmOrder(kettle, pourOver, soldOut);
    await confirmOrder(kettle, bag);
    await confirmOrder(soldOut, bag);
    await confirmOrder(soldOut, bag);
    // then the sleeping bag is archived
    h.products.put({ ...bag, status: 'archived' });
    await h.kit.emit('product.deleted', snapshotOf({ ...bag, status: 'archived' }));
    await eventually(async () => expect(h.service.index.get(bag.id)?.item.status).toBe('archived'), 15_000);
  });

  it('bought together skips partners that are sold out or archived, and the product itself', async () => {
    const { kind, items } = await recommend(`productId=${kettle.id}&limit=20`);
    expect(kind).toBe('bought_together');
    expect(items[0]).toMatchObject({ id: pourOver.id, reason: 'often bought with Electric Kettle' });
    const ids = items.map((i) => i.id);
    expect(ids).not.toContain(kettle.id);
    expect(ids).not.toContain(soldOut.id);
    expect(ids).not.toContain(bag.id);
    // topped up with similar products, each once
    expect(new Set(ids).size).toBe(ids.length);
    expect(items.length).toBeGreaterThan(1);
  });

  it('popular for a guest: best sellers that can be bought, then the newest', async () => {
    const { kind, items } = await recommend('limit=5');
    expect(kind).toBe('popular');
    const ids = items.map((i) => i.id);
    // the two best sellers are sold out and archived: the kettle (2 orders) leads
    expect(ids[0]).toBe(kettle.id);
    expect(ids[1]).toBe(pourOver.id);
    expect(ids).not.toContain(soldOut.id);
    expect(ids).not.toContain(bag.id);
    expect(items[2]?.reason).toBe('new in the shop');
    expect(items).toHaveLength(5);
  });

  it('a best seller that sells out leaves the popular list', async () => {
    const gone = h.products.put({ ...kettle, stock: 0 });
    await h.kit.emit('product.updated', snapshotOf(gone, ['stock']));
    await eventually(async () => {
      const { items } = await recommend('limit=5');
      expect(items.map((i) => i.id)).not.toContain(kettle.id);
      expect(items[0]?.id).toBe(pourOver.id);
    }, 15_000);
    // and it is no one's partner any more
    const forPourOver = await recommend(`productId=${pourOver.id}&limit=20`);
    expect(forPourOver.items.map((i) => i.id)).not.toContain(kettle.id);
    const back = h.products.put({ ...kettle, stock: 10 });
    await h.kit.emit('product.updated', snapshotOf(back, ['stock']));
    await eventually(async () => expect(h.service.index.get(kettle.id)?.item.stock).toBe(10), 15_000);
  });
});

describe('for a signed-in customer', () => {
  it('from their cart alone (no orders yet): near what is in it, never what is in it', async () => {
    const me = await h.user();
    const headphones = fixtureItem('Studio Monitor Headphones');
    h.cart.adds.push({ owner: me.userId, productId: headphones.id, quantity: 1 });
    const { kind, items } = await recommend('limit=3', me.auth);
    expect(kind).toBe('personal');
    const names = items.map((i) => i.name);
    expect(names).not.toContain('Studio Monitor Headphones');
    expect(names).toContain('Wireless Over-Ear Headphones');
    expect(items[0]?.reason).toBe('based on your orders and cart');
  });

  it('never sold out or archived products, however close they are', async () => {
    const me = await h.user();
    const shoes = fixtureItem('Trailblazer Running Shoes');
    h.orders.add(me.userId, { items: [{ productId: shoes.id, name: shoes.name, quantity: 1 }] });
    const { kind, items } = await recommend('limit=50', me.auth);
    expect(kind).toBe('personal');
    const ids = items.map((i) => i.id);
    expect(ids).not.toContain(shoes.id);
    expect(ids).not.toContain(soldOut.id);
    expect(ids).not.toContain(bag.id);
    expect(ids).not.toContain(fixtureItem('Retired Red Runners').id);
    // the other running shoes are the nearest
    expect(items.slice(0, 3).map((i) => i.name)).toEqual(expect.arrayContaining(['Cloudstep Running Shoes']));
  });

  it('a customer with no orders and an empty cart gets the popular list', async () => {
    const me = await h.user();
    const { kind, items } = await recommend('limit=3', me.auth);
    expect(kind).toBe('popular');
    expect(items.map((i) => i.id)).not.toContain(soldOut.id);
  });

  it("another customer's orders never shape my recommendations", async () => {
    const ada = await h.user();
    const bob = await h.user();
    h.orders.add(ada.userId, { items: [{ productId: mug.id, name: mug.name, quantity: 1 }] });
    const bobs = await recommend('limit=3', bob.auth);
    expect(bobs.kind).toBe('popular');
  });
});
