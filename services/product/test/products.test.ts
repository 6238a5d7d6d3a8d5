// Products and categories over HTTP on PostgreSQL: create, read by id or slug, update, archive, stock,
// who may do what (seller owns, admin all, customer none), validation, and the events each change writes.
import { randomUUID } from 'node:crypto';
import { validateEvent } from '@microbazaar/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, formData, type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;
let otherSeller: Actor;
let admin: Actor;
let customer: Actor;

beforeAll(async () => {
  h = await startHarness('products');
  [seller, otherSeller, admin, customer] = await Promise.all([
    h.actor('seller'),
    h.actor('seller'),
    h.actor('admin'),
    h.actor('customer'),
  ]);
});
afterAll(() => h?.close());

const create = (actor: Actor | undefined, body: unknown) =>
  h.app.inject({ method: 'POST', url: '/api/products', payload: body as object, headers: actor?.auth ?? {} });
const get = (ref: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url: `/api/products/${ref}`, headers });
const patch = (actor: Actor, ref: string, body: unknown) =>
  h.app.inject({ method: 'PATCH', url: `/api/products/${ref}`, payload: body as object, headers: actor.auth });
const del = (actor: Actor, ref: string) =>
  h.app.inject({ method: 'DELETE', url: `/api/products/${ref}`, headers: actor.auth });

describe('create and read', () => {
  it('creates a product from JSON: 201, money in minor units, slug from the name, stock available', async () => {
    const res = await create(seller, productBody({ name: 'Ergonomic Öak Desk', price: 24999, stock: 7 }));
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({
      name: 'Ergonomic Öak Desk',
      price: { amount: 24999, currency: 'USD' },
      category: 'home-decor',
      attributes: { brand: 'Testco', color: 'blue' },
      stock: 7,
      images: [],
      sellerId: seller.id,
      status: 'active',
    });
    expect(p.slug).toMatch(/^ergonomic-oak-desk(-[a-z0-9]{6})?$/);
    expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(p.createdAt).toISOString()).toBe(p.createdAt);

    for (const ref of [p.id, p.slug]) {
      const read = await get(ref);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual(p);
    }
  });

  it('gives a second product with the same name another slug', async () => {
    const name = `Same Name ${randomUUID().slice(0, 8)}`;
    const a = (await create(seller, productBody({ name }))).json();
    const b = (await create(otherSeller, productBody({ name }))).json();
    expect(a.slug).not.toBe(b.slug);
    expect(b.slug.startsWith(a.slug)).toBe(true);
    expect((await get(b.slug)).json().id).toBe(b.id);
  });

  it('suffixes the slug of a product named like a UUID, so it can be read by slug', async () => {
    for (const name of [randomUUID(), randomUUID().toUpperCase(), ` ${randomUUID()} `]) {
      const res = await create(seller, productBody({ name }));
      expect(res.statusCode).toBe(201);
      const p = res.json();
      expect(p.slug).toMatch(new RegExp(`^${name.trim().toLowerCase()}-[0-9a-z]{6}$`));
      const read = await get(p.slug);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().id).toBe(p.id);
      const patched = await patch(seller, p.slug, { price: 4321 });
      expect(patched.statusCode, patched.body).toBe(200);
    }
  });

  it('creates the category on first use and lists it', async () => {
    const slug = `cat-${randomUUID().slice(0, 8)}`;
    expect((await create(seller, productBody({ category: slug }))).statusCode).toBe(201);
    const category = await h.app.inject({ method: 'GET', url: `/api/categories/${slug}` });
    expect(category.statusCode).toBe(200);
    expect(category.json()).toMatchObject({ slug, name: expect.stringMatching(/^Cat /) });
    const all = await h.app.inject({ method: 'GET', url: '/api/categories?limit=100' });
    expect(all.json().items.map((c: { slug: string }) => c.slug)).toContain(slug);
  });

  it('lets an admin create products too', async () => {
    const res = await create(admin, productBody());
    expect(res.statusCode).toBe(201);
    expect(res.json().sellerId).toBe(admin.id);
  });

  it('answers 404 for an unknown id or slug', async () => {
    expect((await get(randomUUID())).statusCode).toBe(404);
    const res = await get('no-such-product');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('PRODUCT_NOT_FOUND');
  });

  it('writes product.created with price, name and stock into the outbox, correlated with the request', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: productBody({ price: 4200, stock: 3 }),
      headers: { ...seller.auth, 'x-request-id': 'req-create-1' },
    });
    const p = res.json();
    const event = (await h.outbox('product.created')).find(
      (e) => e.data && 'productId' in e.data && e.data.productId === p.id,
    );
    expect(event).toMatchObject({
      type: 'product.created',
      correlationId: 'req-create-1',
      data: {
        productId: p.id,
        sellerId: seller.id,
        name: p.name,
        slug: p.slug,
        price: { amount: 4200, currency: 'USD' },
        stock: 3,
        status: 'active',
      },
    });
  });
});

describe('who may write', () => {
  it('401 without a token, 401 with a bad one, 403 for a customer', async () => {
    expect((await create(undefined, productBody())).statusCode).toBe(401);
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: productBody(),
      headers: { authorization: 'Bearer not.a.token' },
    });
    expect(bad.statusCode).toBe(401);
    const res = await create(customer, productBody());
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it("403 when a seller changes, archives, restocks or adds images to another seller's product; admin may", async () => {
    const p = (await create(seller, productBody())).json();
    expect((await patch(otherSeller, p.id, { price: 1 })).statusCode).toBe(403);
    expect((await del(otherSeller, p.id)).statusCode).toBe(403);
    const stock = await h.app.inject({
      method: 'PUT',
      url: `/api/products/${p.id}/stock`,
      payload: { quantity: 1 },
      headers: otherSeller.auth,
    });
    expect(stock.statusCode).toBe(403);
    expect((await patch(customer, p.id, { price: 1 })).statusCode).toBe(403);
    expect((await get(p.id)).json().price.amount).toBe(p.price.amount);

    const byAdmin = await patch(admin, p.id, { price: 1234 });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().price.amount).toBe(1234);
  });

  it('404 (not 403) for a change to a product that does not exist', async () => {
    expect((await patch(seller, randomUUID(), { price: 1 })).statusCode).toBe(404);
  });
});

describe('update and archive', () => {
  it('changes fields, keeps the slug, and announces only what changed', async () => {
    const p = (await create(seller, productBody())).json();
    const res = await patch(seller, p.slug, { name: 'Renamed Lamp', price: 2500, attributes: { brand: 'Other' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Renamed Lamp',
      slug: p.slug,
      price: { amount: 2500 },
      attributes: { brand: 'Other' },
    });
    expect(Date.parse(res.json().updatedAt)).toBeGreaterThanOrEqual(Date.parse(p.updatedAt));
    const updates = (await h.outbox('product.updated')).filter(
      (e) => 'productId' in e.data && e.data.productId === p.id,
    );
    expect(updates).toHaveLength(1);
    expect(updates[0]?.data).toMatchObject({ name: 'Renamed Lamp', price: { amount: 2500 } });
    expect(new Set((updates[0]?.data as { changed?: string[] } | undefined)?.changed)).toEqual(
      new Set(['name', 'price', 'attributes']),
    );

    // the same values again change nothing and announce nothing
    expect((await patch(seller, p.id, { price: 2500 })).statusCode).toBe(200);
    expect(
      (await h.outbox('product.updated')).filter((e) => 'productId' in e.data && e.data.productId === p.id),
    ).toHaveLength(1);
  });

  it('archives on DELETE: 204, gone from lists and search, product.deleted once', async () => {
    const name = `Archivable Gizmo ${randomUUID().slice(0, 8)}`;
    const p = (await create(seller, productBody({ name }))).json();
    const before = await h.app.inject({ method: 'GET', url: `/api/products?q=${encodeURIComponent(name)}` });
    expect(before.json().items.map((i: { id: string }) => i.id)).toContain(p.id);

    expect((await del(seller, p.id)).statusCode).toBe(204);
    expect((await del(seller, p.id)).statusCode).toBe(204);
    expect((await get(p.slug, seller.auth)).json().status).toBe('archived');

    const search = await h.app.inject({ method: 'GET', url: `/api/products?q=${encodeURIComponent(name)}` });
    expect(search.json().items.map((i: { id: string }) => i.id)).not.toContain(p.id);
    const list = await h.app.inject({ method: 'GET', url: `/api/products?sellerId=${seller.id}&limit=100` });
    expect(list.json().items.map((i: { id: string }) => i.id)).not.toContain(p.id);
    const deleted = (await h.outbox('product.deleted')).filter(
      (e) => 'productId' in e.data && e.data.productId === p.id,
    );
    expect(deleted).toHaveLength(1);
    // the same snapshot as created|updated, so read models keep the name and price of what was sold
    expect(deleted[0]?.data).toEqual({
      productId: p.id,
      sellerId: seller.id,
      slug: p.slug,
      name,
      category: 'home-decor',
      price: { amount: 1999, currency: 'USD' },
      stock: 10,
      status: 'archived',
    });
    expect(validateEvent(deleted[0]).ok).toBe(true);

    // an archived product can come back, and archiving by PATCH announces the same snapshot
    const back = await patch(seller, p.id, { status: 'active' });
    expect(back.json().status).toBe('active');
    expect((await patch(seller, p.id, { status: 'archived', price: 2500 })).statusCode).toBe(200);
    const again = (await h.outbox('product.deleted')).filter((e) => 'productId' in e.data && e.data.productId === p.id);
    expect(again).toHaveLength(2);
    expect(again[1]?.data).toMatchObject({ name, price: { amount: 2500 }, stock: 10, status: 'archived' });
  });
});

describe('archived products (issue 14.12)', () => {
  it('are 404 by id and slug to everyone but their seller and admins, stock included', async () => {
    const p = (await create(seller, productBody({ name: `Withdrawn Kettle ${randomUUID().slice(0, 8)}` }))).json();
    expect((await get(p.id)).statusCode).toBe(200);
    expect((await del(seller, p.id)).statusCode).toBe(204);

    const badToken = { authorization: 'Bearer not-a-token' };
    for (const ref of [p.id, p.slug]) {
      for (const [who, headers] of [
        ['anonymous', {}],
        ['a customer', customer.auth],
        ['another seller', otherSeller.auth],
        ['a token that does not verify', badToken],
      ] as const) {
        const res = await get(ref, headers);
        expect(res.statusCode, `${who} reads ${ref}`).toBe(404);
        expect(res.json().error).toMatchObject({ code: 'PRODUCT_NOT_FOUND', requestId: res.headers['x-request-id'] });
        const stock = await h.app.inject({ method: 'GET', url: `/api/products/${ref}/stock`, headers });
        expect(stock.statusCode, `${who} reads the stock of ${ref}`).toBe(
          who === 'a token that does not verify' ? 401 : 404,
        );
      }
      for (const actor of [seller, admin]) {
        const res = await get(ref, actor.auth);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: p.id, status: 'archived' });
        const stock = await h.app.inject({ method: 'GET', url: `/api/products/${ref}/stock`, headers: actor.auth });
        expect(stock.json()).toMatchObject({ productId: p.id, onHand: 10 });
      }
    }

    // back on sale: public again
    expect((await patch(seller, p.id, { status: 'active' })).statusCode).toBe(200);
    expect((await get(p.slug)).statusCode).toBe(200);
  });

  it('are listed for their seller and admins with status=archived, newest first, in keyset pages', async () => {
    const lister = await h.actor('seller');
    const names = ['One', 'Two', 'Three'].map((n) => `Retired ${n} ${randomUUID().slice(0, 8)}`);
    const made = [];
    for (const name of names) made.push((await create(lister, productBody({ name }))).json());
    await create(lister, productBody({ name: `Still On Sale ${randomUUID().slice(0, 8)}` }));
    for (const p of made) expect((await del(lister, p.id)).statusCode).toBe(204);
    const list = (query: string, headers: Record<string, string> = lister.auth) =>
      h.app.inject({ method: 'GET', url: `/api/products?sellerId=${lister.id}&status=archived${query}`, headers });

    const first = await list('&limit=2');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ total: 3, totalExact: true });
    expect(first.json().items.map((i: { name: string }) => i.name)).toEqual([names[2], names[1]]);
    expect(first.json().items[0].status).toBe('archived');
    const second = await list(`&limit=2&cursor=${first.json().nextCursor}`);
    expect(second.json().items.map((i: { name: string }) => i.name)).toEqual([names[0]]);
    expect(second.json().nextCursor).toBeNull();
    expect((await list('', admin.auth)).json().items).toHaveLength(3);
    // the active list of that seller holds only the one on sale
    const active = await h.app.inject({ method: 'GET', url: `/api/products?sellerId=${lister.id}` });
    expect(active.json().items.map((i: { name: string }) => i.name)).toEqual([expect.stringMatching(/^Still On Sale/)]);

    expect((await list('', {})).statusCode).toBe(401);
    expect((await list('', otherSeller.auth)).statusCode).toBe(403);
    expect((await list('', customer.auth)).statusCode).toBe(403);
    expect((await list('&q=retired')).statusCode).toBe(400);
    const noSeller = await h.app.inject({ method: 'GET', url: '/api/products?status=archived', headers: admin.auth });
    expect(noSeller.statusCode).toBe(400);
    const foreign = Buffer.from(JSON.stringify(['newest', 1])).toString('base64url');
    for (const cursor of [foreign, 'not-a-cursor']) expect((await list(`&cursor=${cursor}`)).statusCode).toBe(400);
  });

  it('leave a cached search and a category shelf at once', async () => {
    const word = `zq${randomUUID()
      .replace(/[^a-f]/g, '')
      .slice(0, 8)}`;
    const category = `shelf-${randomUUID().slice(0, 8)}`;
    const p = (await create(seller, productBody({ name: `${word} Teapot`, category }))).json();
    const ids = async (url: string) =>
      (await h.app.inject({ method: 'GET', url })).json().items.map((i: { id: string }) => i.id);
    // the first page of a search is cached; a category shelf is what "related products" shows
    expect(await ids(`/api/products?q=${word}`)).toEqual([p.id]);
    expect(await ids(`/api/products?category=${category}&limit=5`)).toEqual([p.id]);
    expect((await del(seller, p.id)).statusCode).toBe(204);
    expect(await ids(`/api/products?q=${word}`)).toEqual([]);
    expect(await ids(`/api/products?category=${category}&limit=5`)).toEqual([]);
    expect((await get(p.id)).statusCode).toBe(404);
  });
});

describe('validation (400)', () => {
  it.each([
    ['no name', { price: 100 }],
    ['blank name', { name: '   ', price: 100 }],
    ['float price', { name: 'x', price: 19.99 }],
    ['negative price', { name: 'x', price: -1 }],
    ['price as text', { name: 'x', price: '100' }],
    ['lower-case currency', { name: 'x', price: 1, currency: 'usd' }],
    ['bad category slug', { name: 'x', price: 1, category: 'Home Office' }],
    ['attributes not an object', { name: 'x', price: 1, attributes: 'red' }],
    ['nested attribute object', { name: 'x', price: 1, attributes: { size: { w: 1 } } }],
    ['negative stock', { name: 'x', price: 1, stock: -1 }],
    ['unknown field', { name: 'x', price: 1, sellerId: randomUUID() }],
    ['a status on create', { name: 'x', price: 1, status: 'archived' }],
  ])('rejects %s', async (_label, body) => {
    const res = await create(seller, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rejects an empty PATCH and unknown fields in it', async () => {
    const p = (await create(seller, productBody())).json();
    expect((await patch(seller, p.id, {})).statusCode).toBe(400);
    expect((await patch(seller, p.id, { stock: 5 })).statusCode).toBe(400);
  });
});

describe('attribute numbers', () => {
  // JSON `1e400` parses as Infinity, which PostgreSQL's jsonb would store as null
  const rawCreate = (payload: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload,
      headers: { ...seller.auth, 'content-type': 'application/json' },
    });

  it.each(['1e400', '-1e400', '1e16', '-1e16'])(
    'refuses %s as an attribute value (400), on create and PATCH',
    async (n) => {
      const name = `Bounded ${randomUUID().slice(0, 8)}`;
      const res = await rawCreate(`{"name":"${name}","price":100,"attributes":{"weight":${n}}}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(
        (await h.app.inject({ method: 'GET', url: `/api/products?q=${encodeURIComponent(name)}` })).statusCode,
      ).toBe(200);

      const p = (await create(seller, productBody())).json();
      const patched = await h.app.inject({
        method: 'PATCH',
        url: `/api/products/${p.id}`,
        payload: `{"attributes":{"weight":${n}}}`,
        headers: { ...seller.auth, 'content-type': 'application/json' },
      });
      expect(patched.statusCode, patched.body).toBe(400);
      expect((await get(p.id)).json().attributes).toEqual(p.attributes);
    },
  );

  it('refuses an unbounded number in the attributes of a multipart form', async () => {
    const form = formData({ name: 'Multipart Bounded', price: '100', attributes: '{"weight":1e400}' }, []);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: form.payload,
      headers: { ...form.headers, ...seller.auth },
    });
    expect(res.statusCode, res.body).toBe(400);
  });

  it('keeps large finite numbers exactly', async () => {
    const res = await rawCreate(`{"name":"Big Number","price":100,"attributes":{"a":1e15,"b":-1e15,"c":0.125}}`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().attributes).toEqual({ a: 1e15, b: -1e15, c: 0.125 });
  });

  it('reads a product whose stored attributes hold values outside the schema (older rows) without a 500', async () => {
    const p = (await create(seller, productBody({ name: `Legacy ${randomUUID().slice(0, 8)}` }))).json();
    await h.db.query(
      `UPDATE products SET attributes = '{"brand":"Testco","weight":null,"size":{"w":1}}' WHERE id = $1`,
      [p.id],
    );
    h.service.listing.invalidate();
    for (const url of [
      `/api/products/${p.id}`,
      `/api/products/${p.slug}`,
      `/api/products?sellerId=${seller.id}&limit=100`,
      `/api/products?q=${encodeURIComponent(p.name)}`,
    ]) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      const body = res.json();
      const read = 'items' in body ? body.items.find((i: { id: string }) => i.id === p.id) : body;
      expect(read?.attributes, url).toEqual({ brand: 'Testco' });
    }
  });
});

describe('stock', () => {
  it('GET shows available to anyone and on hand / reserved to the owner; PUT sets on hand', async () => {
    const p = (await create(seller, productBody({ stock: 4 }))).json();
    const anonymous = await h.app.inject({ method: 'GET', url: `/api/products/${p.id}/stock` });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ productId: p.id, available: 4, updatedAt: expect.any(String) });

    const put = await h.app.inject({
      method: 'PUT',
      url: `/api/products/${p.slug}/stock`,
      payload: { quantity: 9 },
      headers: seller.auth,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ productId: p.id, available: 9, onHand: 9, reserved: 0 });
    const owner = await h.app.inject({ method: 'GET', url: `/api/products/${p.id}/stock`, headers: seller.auth });
    expect(owner.json()).toMatchObject({ onHand: 9, reserved: 0, available: 9 });
    expect((await get(p.id)).json().stock).toBe(9);
    const updates = (await h.outbox('product.updated')).filter(
      (e) => 'productId' in e.data && e.data.productId === p.id,
    );
    expect(updates.at(-1)?.data).toMatchObject({ stock: 9, changed: ['stock'] });
  });

  it('refuses a negative or fractional quantity (400)', async () => {
    const p = (await create(seller, productBody())).json();
    for (const quantity of [-1, 1.5, '3']) {
      const res = await h.app.inject({
        method: 'PUT',
        url: `/api/products/${p.id}/stock`,
        payload: { quantity },
        headers: seller.auth,
      });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('categories', () => {
  it('admin creates, renames and deletes; others get 401/403; a used category cannot go (409)', async () => {
    const slug = `garden-${randomUUID().slice(0, 6)}`;
    const post = (actor: Actor | undefined, body: unknown) =>
      h.app.inject({ method: 'POST', url: '/api/categories', payload: body as object, headers: actor?.auth ?? {} });
    expect((await post(undefined, { slug })).statusCode).toBe(401);
    expect((await post(seller, { slug })).statusCode).toBe(403);
    const created = await post(admin, { slug, name: 'Garden & Patio', description: 'Outside' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ slug, name: 'Garden & Patio', description: 'Outside', image: null });
    expect((await post(admin, { slug })).statusCode).toBe(409);
    expect((await post(admin, { slug: 'Not A Slug' })).statusCode).toBe(400);
    // it would read as an id and the category could never be found by its slug
    expect((await post(admin, { slug: randomUUID() })).statusCode).toBe(400);

    const renamed = await h.app.inject({
      method: 'PATCH',
      url: `/api/categories/${slug}`,
      payload: { name: 'Garden' },
      headers: admin.auth,
    });
    expect(renamed.json()).toMatchObject({ slug, name: 'Garden' });

    const p = (await create(seller, productBody({ category: slug }))).json();
    const inUse = await h.app.inject({ method: 'DELETE', url: `/api/categories/${slug}`, headers: admin.auth });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe('CATEGORY_IN_USE');
    await patch(seller, p.id, { category: null });
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/api/categories/${slug}`, headers: admin.auth })).statusCode,
    ).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: `/api/categories/${slug}` })).statusCode).toBe(404);
  });

  it('pages categories with a cursor', async () => {
    const first = (await h.app.inject({ method: 'GET', url: '/api/categories?limit=1' })).json();
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (
      await h.app.inject({ method: 'GET', url: `/api/categories?limit=1&cursor=${first.nextCursor}` })
    ).json();
    expect(second.items[0].slug > first.items[0].slug).toBe(true);
    expect((await h.app.inject({ method: 'GET', url: '/api/categories?cursor=garbage' })).statusCode).toBe(400);
  });
});

describe('operations', () => {
  it('reports db and storage in /health/ready and serves its OpenAPI document', async () => {
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ db: 'ok', storage: 'ok' });
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/products', '/api/products/{id}', '/api/products/{id}/stock', '/api/categories']),
    );
  });
});
