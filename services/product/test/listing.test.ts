// Lists and search on PostgreSQL: keyset pages that return every item once while products are added,
// relevance with weighted fields, web-search syntax, filters, typo and prefix fallbacks, capped totals,
// and cached searches that end when the catalog changes (here or in another instance).
import { randomUUID } from 'node:crypto';
import { createLogger, createPostgresDb, type Db, type Sql } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { seedCatalog } from '../src/seed/catalog.js';
import { generateProducts } from '../src/seed/generator.js';
import { createListing } from '../src/usecases/listing.js';
import { type Actor, type Harness, productBody, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;

beforeAll(async () => {
  h = await startHarness('listing');
  seller = await h.actor('seller');
});
afterAll(() => h?.close());

interface Item {
  id: string;
  name: string;
  price: { amount: number };
  createdAt: string;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
  total: number;
  totalExact: boolean;
}

async function create(body: Record<string, unknown>): Promise<Item> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: productBody(body),
    headers: seller.auth,
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function list(query: Record<string, string | number | undefined>): Promise<Page> {
  const qs = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
  const res = await h.app.inject({ method: 'GET', url: `/api/products?${qs}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const tag = () => `z${randomUUID().replace(/-/g, '').slice(0, 8)}`;

describe('keyset pagination', () => {
  it.each([
    ['newest', undefined],
    ['price_asc', undefined],
    ['price_desc', undefined],
    ['relevance', 'gadget'],
  ])('returns every product exactly once across pages while products are added (%s)', async (sort, q) => {
    const category = `page-${tag()}`;
    const initial = new Set<string>();
    for (let i = 0; i < 33; i++) {
      // repeated prices make the tie-break on insertion order matter
      const p = await create({ category, price: 100 * (i % 7), name: `Gadget ${i} ${i % 3 === 0 ? 'gadget' : ''}` });
      initial.add(p.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list({ category, sort, q, limit: 5, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // someone adds products between page requests, at every price
      await create({ category, price: 100 * (pages % 7), name: `Gadget late ${pages}` });
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of initial) expect(seen).toContain(id);
  });

  it('orders by price both ways with the newest first among equal prices', async () => {
    const category = `price-${tag()}`;
    const a = await create({ category, price: 500 });
    const b = await create({ category, price: 100 });
    const c = await create({ category, price: 500 });
    expect((await list({ category, sort: 'price_asc' })).items.map((i) => i.id)).toEqual([b.id, a.id, c.id]);
    expect((await list({ category, sort: 'price_desc' })).items.map((i) => i.id)).toEqual([c.id, a.id, b.id]);
    expect((await list({ category })).items.map((i) => i.id)).toEqual([c.id, b.id, a.id]);
  });

  it('answers 400 for a bad limit, an unreadable cursor and a cursor from another list', async () => {
    for (const qs of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=%%%',
      'cursor=bm90LWEtY3Vyc29y',
      'sort=cheapest',
      'minPrice=-1',
    ]) {
      const res = await h.app.inject({ method: 'GET', url: `/api/products?${qs}` });
      expect(res.statusCode, qs).toBe(400);
    }
    const category = `cur-${tag()}`;
    for (let i = 0; i < 3; i++) await create({ category });
    const page = await list({ category, limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    const other = await h.app.inject({
      method: 'GET',
      url: `/api/products?limit=1&sort=price_asc&category=${category}&cursor=${page.nextCursor}`,
    });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers 400 for a cursor whose sort keys were edited out of their column types (before any SQL)', async () => {
    const category = `edit-${tag()}`;
    const word = tag();
    for (let i = 0; i < 3; i++) await create({ category, name: `Editable ${word} widget ${i}` });
    const decode = (cursor: string | null) =>
      JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString()) as unknown[];
    const encode = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const edited: Array<[Record<string, string>, (keys: unknown[]) => unknown[]]> = [];
    for (const bad of [1.5, 1e30, -1e20, 2 ** 53]) {
      edited.push([{ category }, ([f, m]) => [f, m, bad]]);
      edited.push([{ category, sort: 'price_asc' }, ([f, m, , seq]) => [f, m, bad, seq]]);
      edited.push([{ category, sort: 'price_desc' }, ([f, m, price]) => [f, m, price, bad]]);
      // a relevance cursor: rank, seq, and the floor of its window of candidates (a seq too)
      edited.push([{ q: word }, ([f, m, rank, , floor]) => [f, m, rank, bad, floor]]);
      edited.push([{ q: word }, ([f, m, rank, seq]) => [f, m, rank, seq, bad]]);
    }
    for (const bad of [1e300, -1e300, 1e-300, 1e39]) {
      edited.push([{ q: word }, ([f, m, , seq, floor]) => [f, m, bad, seq, floor]]);
    }
    edited.push([{ q: word }, ([f, m, rank, seq]) => [f, m, rank, seq, -1]]);
    edited.push([{ q: word }, ([f, m, rank, seq]) => [f, m, rank, seq]]);
    for (const [query, edit] of edited) {
      const first = await list({ ...query, limit: 1 });
      const cursor = encode(edit(decode(first.nextCursor)));
      const res = await h.app.inject({
        method: 'GET',
        url: `/api/products?${new URLSearchParams({ ...query, limit: '1', cursor })}`,
      });
      expect(res.statusCode, `${JSON.stringify(query)} ${JSON.stringify(decode(cursor))}: ${res.body}`).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    // an edited key of the right type is just another position in the list
    const first = await list({ category, limit: 1 });
    const [f, m] = decode(first.nextCursor);
    const res = await h.app.inject({
      method: 'GET',
      url: `/api/products?category=${category}&limit=1&cursor=${encode([f, m, Number.MAX_SAFE_INTEGER])}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(1);
  });

  it('keeps price bounds inclusive and refuses minPrice above maxPrice', async () => {
    const category = `bounds-${tag()}`;
    const cheap = await create({ category, price: 1000 });
    const mid = await create({ category, price: 2000 });
    await create({ category, price: 3000 });
    const page = await list({ category, minPrice: 1000, maxPrice: 2000, sort: 'price_asc' });
    expect(page.items.map((i) => i.id)).toEqual([cheap.id, mid.id]);
    expect(page).toMatchObject({ total: 2, totalExact: true });
    const res = await h.app.inject({ method: 'GET', url: '/api/products?minPrice=5&maxPrice=4' });
    expect(res.statusCode).toBe(400);
  });
});

describe('search', () => {
  it('ranks a name match above an attribute match above a description match', async () => {
    const word = tag();
    const inDescription = await create({
      name: `Plain ${word} Stool`,
      description: 'An ergonomic seat for the kitchen.',
    });
    const inAttributes = await create({
      name: `${word} Desk`,
      attributes: { brand: 'Ergonomic Labs' },
      description: 'Sturdy.',
    });
    const inName = await create({ name: `Ergonomic ${word} Chair`, description: 'Sturdy.' });
    const page = await list({ q: `ergonomic ${word}` });
    expect(page.items.map((i) => i.id)).toEqual([inName.id, inAttributes.id, inDescription.id]);
    expect(page).toMatchObject({ total: 3, totalExact: true, nextCursor: null });
  });

  it('understands web-search syntax and stems words', async () => {
    const word = tag();
    const chair = await create({ name: `${word} Office Chair` });
    const stool = await create({ name: `${word} Bar Stool` });
    const ids = async (q: string) => (await list({ q })).items.map((i) => i.id).sort();
    expect(await ids(`${word} chairs`)).toEqual([chair.id]);
    expect(await ids(`${word} -stool`)).toEqual([chair.id]);
    expect(await ids(`"${word} bar stool"`)).toEqual([stool.id]);
    expect(await ids(`${word} chair or ${word} stool`)).toEqual([chair.id, stool.id].sort());
  });

  it('combines the text with category and price filters, and finds words of the category', async () => {
    const word = tag();
    const category = `cat-${tag()}`;
    const inCategory = await create({ name: `${word} Lamp`, category, price: 1500 });
    await create({ name: `${word} Lamp`, category, price: 9500 });
    await create({ name: `${word} Lamp`, price: 1500 });
    const page = await list({ q: word, category, maxPrice: 2000 });
    expect(page.items.map((i) => i.id)).toEqual([inCategory.id]);
    // the category slug's words are searchable too
    const byCategory = await list({ q: `${category.split('-')[1]}` });
    expect(byCategory.items.length).toBe(2);
  });

  it('falls back to word prefixes, then to trigram similarity for a misspelt word', async () => {
    expect(h.service.trigram).toBe(true);
    const word = `quixotic${tag().slice(1, 5)}`;
    const p = await create({ name: `Vintage ${word} Gramophone` });
    const prefix = await list({ q: `${word.slice(0, 7)}` });
    expect(prefix.items.map((i) => i.id)).toContain(p.id);
    const typo = await list({ q: 'gramofone' });
    expect(typo.items.map((i) => i.id)).toContain(p.id);
    // the total counts the fallback's matches (later pages: the next test)
    expect(typo.total).toBeGreaterThanOrEqual(1);
  });

  it('pages a prefix and a typo (trigram) search to its later pages in the same mode', async () => {
    // letters only, unlike any other name: nothing else is similar enough to match
    const word = `qv${randomUUID()
      .replace(/-/g, '')
      .slice(0, 9)
      .replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)] ?? 'g')}`;
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await create({ name: `Antique ${word} Sextant ${i}` })).id);
    // a letter left out (swapping two could give the word itself back)
    const typo = `${word.slice(0, 5)}${word.slice(6)}`;
    for (const [q, mode] of [
      [word.slice(0, 7), 'prefix'],
      [typo, 'fuzzy'],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list({ q, limit: 1, cursor });
        expect(page.items, `${mode} page ${pages + 1}`).toHaveLength(1);
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
        if (cursor) expect(JSON.parse(Buffer.from(cursor, 'base64url').toString())[1]).toBe(mode);
        pages++;
      } while (cursor && pages < 10);
      expect(pages, mode).toBe(3);
      expect(new Set(seen), mode).toEqual(ids);
    }
  });

  it('finds nothing (and says so) for a query that matches nothing at all', async () => {
    const page = await list({ q: 'qqqqqqqqqqqqqqqq' });
    expect(page).toEqual({ items: [], nextCursor: null, total: 0, totalExact: true });
  });

  it('shows a new, changed or archived product in the next search (the search cache follows writes)', async () => {
    const word = tag();
    const first = await create({ name: `${word} Kettle` });
    expect((await list({ q: word })).items.map((i) => i.id)).toEqual([first.id]);
    const second = await create({ name: `${word} Teapot` });
    expect((await list({ q: word })).items.map((i) => i.id).sort()).toEqual([first.id, second.id].sort());
    await h.app.inject({
      method: 'PATCH',
      url: `/api/products/${first.id}`,
      payload: { name: 'Renamed Kettle' },
      headers: seller.auth,
    });
    expect((await list({ q: word })).items.map((i) => i.id)).toEqual([second.id]);
    await h.app.inject({ method: 'DELETE', url: `/api/products/${second.id}`, headers: seller.auth });
    expect((await list({ q: word })).items).toEqual([]);
  });

  it('reads price and stock fresh even when the ranking comes from the cache', async () => {
    const word = tag();
    const p = await create({ name: `${word} Blender`, stock: 5 });
    expect((await list({ q: word })).items[0]).toMatchObject({ stock: 5 });
    await h.app.inject({
      method: 'PUT',
      url: `/api/products/${p.id}/stock`,
      payload: { quantity: 2 },
      headers: seller.auth,
    });
    expect((await list({ q: word })).items[0]).toMatchObject({ stock: 2 });
  });

  it('drops cached searches when another instance changes the catalog (NOTIFY)', async () => {
    const word = tag();
    await create({ name: `${word} Toaster` });
    expect((await list({ q: word })).items).toHaveLength(1);
    const otherDb = createPostgresDb({ url: h.database.url, schema: 'product', poolMax: 2 });
    const other = await buildApp({
      config: h.config,
      logger: createLogger('product', 'silent'),
      db: otherDb,
      bus: h.bus,
      cache: h.cache,
      storage: h.storage,
      workers: false,
    });
    try {
      const res = await other.app.inject({
        method: 'POST',
        url: '/api/products',
        payload: productBody({ name: `${word} Grill` }),
        headers: seller.auth,
      });
      expect(res.statusCode).toBe(201);
      await eventually(async () => expect((await list({ q: word })).items).toHaveLength(2), 5000);
    } finally {
      await other.app.close();
      await otherDb.close();
    }
  });
});

/** Letters only and unlike any catalog word: a word only the products of one test have. */
const word = () =>
  `qv${randomUUID()
    .replace(/-/g, '')
    .slice(0, 9)
    .replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)] ?? 'g')}`;

/** The listing on the harness database with the search cache off, counting the statements it sends. */
function countingListing(rankWindow?: number) {
  let statements = 0;
  const counting = (sql: Sql): Sql => ({
    query: (text, params) => {
      statements++;
      return sql.query(text, params);
    },
    exec: (script) => sql.exec(script),
  });
  const db: Db = {
    ...h.db,
    ...counting(h.db),
    transaction: (fn) => h.db.transaction((tx) => fn(counting(tx))),
  };
  const listing = createListing({
    db,
    logger: createLogger('product', 'silent'),
    trigram: true,
    cacheTtlMs: 0,
    cacheMaxEntries: 1,
    ...(rankWindow ? { rankWindow } : {}),
  });
  return {
    listing,
    statements: () => statements,
    reset: () => {
      statements = 0;
    },
  };
}

describe('search fallbacks and ranking at scale', () => {
  it('corrects each misspelt word to a catalog word and then requires every word', async () => {
    const rare = word();
    const wanted = await create({ name: `Vintage ${rare} Gramophone` });
    await create({ name: `Modern ${word()} Gramophone` });
    const typo = `${rare.slice(0, 5)}${rare.slice(6)}`;
    for (const q of [`${typo} gramophone`, `${typo} gramofone`, `${typo} ${word()}`]) {
      const page = await list({ q });
      expect(
        page.items.map((i) => i.id),
        q,
      ).toEqual([wanted.id]);
      expect(page).toMatchObject({ total: 1, totalExact: true });
    }
  });

  it('learns the words of renamed products', async () => {
    const p = await create({ name: 'Plain Lamp' });
    const fresh = word();
    await h.app.inject({
      method: 'PATCH',
      url: `/api/products/${p.id}`,
      payload: { name: `Plain ${fresh} Lamp` },
      headers: seller.auth,
    });
    const typo = `${fresh.slice(0, 4)}${fresh.slice(5)}`;
    expect((await list({ q: typo })).items.map((i) => i.id)).toEqual([p.id]);
  });

  it('tries prefixes and typo corrections only when the catalog has words they could match, and counts nothing extra', async () => {
    const { listing, statements, reset } = countingListing();
    const rare = word();
    await create({ name: `Curious ${rare} Barometer` });
    // each found page also reads its rows (fresh: price and stock); no count statement anywhere
    const cases: Array<[string, number, number]> = [
      // full text finds it, and its window counts the matches
      [`${rare} barometer`, 2, 1],
      // full text, the catalog's words, the prefix search
      [rare.slice(0, 6), 4, 1],
      // full text, the catalog's words (nothing starts with the misspelt word), the corrected search
      [`${rare.slice(0, 5)}${rare.slice(6)} barometer`, 4, 1],
      // nothing starts with or resembles these words: full text and the catalog's words, no fallback query
      [`${word()} ${word()}`, 2, 0],
    ];
    for (const [q, expected, found] of cases) {
      reset();
      const page = await listing.list({ q, limit: 20 });
      expect(page.items, q).toHaveLength(found);
      expect(page.total, q).toBe(found);
      expect(statements(), q).toBe(expected);
    }
  });

  it('ranks among a window of the newest matches and pages it exactly once while matches are added', async () => {
    const { listing } = countingListing(10);
    const rare = word();
    const category = `win-${tag()}`;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      // every third one has the word in its name (ranks higher), the others only in the description
      const named = i % 3 === 0;
      const p = await create({
        category,
        name: named ? `${rare} Gadget ${i}` : `Gadget ${i}`,
        description: named ? 'A gadget.' : `A ${rare} gadget.`,
      });
      ids.push(p.id);
    }
    const window = new Set(ids.slice(-10));
    // the first page is the window's best: its products with the word in their name
    const first = await listing.list({ q: rare, limit: 4 });
    const named = ids.filter((id, i) => i % 3 === 0 && window.has(id));
    expect(first.items.map((i) => i.id).sort()).toEqual(named.sort());
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listing.list({ q: rare, limit: 3, cursor });
      if (pages === 0) expect(page).toMatchObject({ total: 25, totalExact: true });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // a match added between pages: newer than the window, it may show up, but pushes nothing out
      await create({ category, name: `Late Gadget ${pages}`, description: `A ${rare} gadget.` });
    } while (cursor && pages < 30);
    expect(new Set(seen).size).toBe(seen.length);
    // the window's matches ranked first, then every older one, newest first
    const originals = seen.filter((id) => ids.includes(id));
    expect(new Set(originals.slice(0, 10))).toEqual(window);
    expect(originals.slice(10)).toEqual(ids.slice(0, 15).reverse());
  });
});

describe('relevance past its ranking window (issue 14.13)', () => {
  it('pages every match in every sort, the ranked window first and the rest newest first, with an exact total', async () => {
    // what the service builds with SEARCH_RANK_WINDOW=5 (the search cache off: every first page is computed)
    const { listing } = countingListing(5);
    const rare = word();
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) {
      const named = i % 4 === 0;
      const p = await create({
        name: named ? `${rare} Lantern ${i}` : `Lantern ${i}`,
        description: named ? 'A lantern.' : `A ${rare} lantern.`,
        price: 1000 + ((i * 7) % 13) * 100,
      });
      ids.push(p.id);
    }
    const pageThrough = async (sort: 'relevance' | 'newest' | 'price_asc' | 'price_desc', limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 40; pages++) {
        const page = await listing.list({ q: rare, sort, limit, cursor });
        expect(page, `${sort} page ${pages}`).toMatchObject({ total: 13, totalExact: true });
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor ?? undefined;
        if (!cursor) break;
      }
      return seen;
    };
    for (const sort of ['relevance', 'newest', 'price_asc', 'price_desc'] as const) {
      for (const limit of [1, 4, 100]) {
        const seen = await pageThrough(sort, limit);
        expect(seen.length, `${sort} by ${limit}`).toBe(13);
        expect(new Set(seen), `${sort} by ${limit}`).toEqual(new Set(ids));
      }
    }
    // relevance: the window (the newest 5) ranked, its named ones first; then the 8 older, newest first
    const relevance = await pageThrough('relevance', 3);
    expect(new Set(relevance.slice(0, 5))).toEqual(new Set(ids.slice(-5)));
    expect(relevance[0]).toBe(ids[12]);
    expect(relevance.slice(5)).toEqual(ids.slice(0, 8).reverse());
  });

  it('reads SEARCH_RANK_WINDOW (default 1 001)', () => {
    expect(h.config.SEARCH_RANK_WINDOW).toBe(1001);
    expect(loadConfig({ NODE_ENV: 'test', SEARCH_RANK_WINDOW: '5' }).SEARCH_RANK_WINDOW).toBe(5);
  });
});

describe('totals', () => {
  it('counts exactly up to 1 000 matches and estimates above, for lists and searches', async () => {
    const { db, storage } = h;
    const sellerId = randomUUID();
    await seedCatalog({
      db,
      storage,
      sellerId,
      count: 1300,
      from: 0,
      seed: 99,
      pictures: 'none',
      events: false,
      images: { maxPixels: 1e7, thumbnailSize: 320, mediumSize: 1024 },
    });
    const all = await list({ sellerId, limit: 3 });
    expect(all.totalExact).toBe(false);
    expect(all.total).toBeGreaterThan(1000);
    expect(all.total).toBeLessThan(5000);
    const inCategory = generateProducts(1300, { seed: 99 }).filter((p) => p.category === 'electronics').length;
    expect(inCategory).toBeGreaterThan(20);
    const electronics = await list({ sellerId, category: 'electronics' });
    expect(electronics).toMatchObject({ total: inCategory, totalExact: true });

    const narrow = await list({ q: 'electronics', sellerId });
    const [counted] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM products WHERE seller_id = $1 AND search @@ websearch_to_tsquery('english', 'electronics')`,
      [sellerId],
    );
    expect(counted?.n).toBeGreaterThanOrEqual(inCategory);
    expect(narrow).toMatchObject({ total: counted?.n, totalExact: true });
    const wide = await list({ q: 'returns OR shipping OR stock OR customers OR instructions OR range', sellerId });
    expect(wide.totalExact).toBe(false);
    expect(wide.total).toBeGreaterThan(1000);
    expect(wide.items).toHaveLength(20);
  });
});
