// The embedded mode `npm start` uses: startProduct on PGlite (with pg_trgm) and the shared in-memory broker,
// over real HTTP: the demo catalog on first start only, CRUD, search with typos, the order saga's
// inventory step through the memory bus, and a restart that hands the demo catalog to the demo seller.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyEvent } from '@microbazaar/contracts';
import { MemoryBroker, MemoryBus, newEvent, PgliteHost } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type StartedProduct, startProduct } from '../src/main.js';
import { CATEGORIES } from '../src/seed/categories.js';
import { DEMO_PICTURES, DEMO_PLACEHOLDER_SELLER_ID, DEMO_PRODUCTS } from '../src/seed/demo.js';
import { type Jwks, productBody, startJwks } from './harness.js';

let host: PgliteHost;
let broker: MemoryBroker;
let jwks: Jwks;
let dataDir: string;
let service: StartedProduct;
let platform: MemoryBus;
const heard: AnyEvent[] = [];

const env = () => ({
  NODE_ENV: 'test',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  AUTH_JWKS_URL: jwks.url,
  RESERVATION_SWEEP_INTERVAL_MS: '100',
  OUTBOX_SWEEP_INTERVAL_MS: '100',
  DEMO_DATA: 'true',
});

beforeAll(async () => {
  jwks = await startJwks();
  dataDir = mkdtempSync(join(tmpdir(), 'mbt-embedded-'));
  host = await PgliteHost.open(undefined);
  broker = new MemoryBroker();
  platform = new MemoryBus({ broker });
  await platform.subscribe({
    queue: 'watcher_queue',
    bindings: ['inventory.*', 'product.*'],
    handler: async ({ event }) => {
      heard.push(event);
    },
  });
  service = await startProduct(loadConfig(env()), { pglite: host, bus: broker });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await platform?.close();
  await broker?.close();
  await host?.close();
  await jwks?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface ImageJson {
  url: string;
  thumbnailUrl: string;
  mediumUrl: string;
  width: number;
  height: number;
}
interface ProductJson {
  id: string;
  category: string;
  sellerId: string;
  stock: number;
  images: ImageJson[];
}
interface PageJson {
  items: ProductJson[];
  nextCursor: string | null;
  total: number;
  totalExact: boolean;
}

const api = (path: string, init: RequestInit = {}) => fetch(`${service.url}${path}`, init);
const page = async (path: string) => (await (await api(path)).json()) as PageJson;
const one = async (res: Response | Promise<Response>) => (await (await res).json()) as ProductJson;
const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});

describe('embedded (PGlite + memory bus)', () => {
  it('seeds the demo catalog on first start: products with pictures in every category', async () => {
    expect(DEMO_PRODUCTS).toBeGreaterThan(40);
    expect(service.demoProducts).toBe(DEMO_PRODUCTS);
    const demo = await page('/api/products?limit=100');
    expect(demo.items).toHaveLength(DEMO_PRODUCTS);
    expect(demo).toMatchObject({ total: DEMO_PRODUCTS, totalExact: true });
    expect(demo.items[0]?.sellerId).toBe(DEMO_PLACEHOLDER_SELLER_ID);
    // two takes of each product, each its own files: a JPEG original (also the medium) and a WebP thumbnail
    for (const product of demo.items) expect(product.images).toHaveLength(DEMO_PICTURES);
    const urls = demo.items.flatMap((p) => p.images.map((i) => i.url));
    expect(new Set(urls).size).toBe(urls.length);
    const [first] = demo.items[0]?.images ?? [];
    expect(first).toMatchObject({ width: 800, height: 800 });
    expect(first?.mediumUrl).toBe(first?.url);
    const thumbnail = await api(first?.thumbnailUrl ?? '/missing');
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    const original = await api(first?.url ?? '/missing');
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await original.arrayBuffer())).metadata()).width).toBe(800);

    // a picture per category, for the storefront's tiles
    const categories = (await (await api('/api/categories')).json()) as { items: Array<{ image: ImageJson | null }> };
    expect(categories.items).toHaveLength(CATEGORIES.length);
    for (const category of categories.items) expect(category.image).toMatchObject({ width: 800, height: 600 });
    const tile = await api(categories.items[0]?.image?.thumbnailUrl ?? '/missing');
    expect(tile.status).toBe(200);
    expect((await sharp(Buffer.from(await tile.arrayBuffer())).metadata()).width).toBe(320);
    expect(new Set(demo.items.map((p) => p.category)).size).toBe(CATEGORIES.length);
    await eventually(
      () => expect(heard.filter((e) => e.type === 'product.created').length).toBeGreaterThanOrEqual(DEMO_PRODUCTS),
      10_000,
    );
  });

  it('creates, finds and pages products; a misspelling finds them through pg_trgm, loaded into PGlite too', async () => {
    const sellerId = randomUUID();
    const token = await jwks.sign('seller', sellerId);
    const word = `embeddedwidget${randomUUID().slice(0, 4)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api('/api/products', json(productBody({ name: `${word} ${i}`, category: 'embedded' }), token));
      expect(res.status).toBe(201);
      ids.push((await one(res)).id);
    }
    const found = await page(`/api/products?q=${word}&limit=2`);
    expect(found.items).toHaveLength(2);
    const rest = await page(`/api/products?q=${word}&limit=5&cursor=${found.nextCursor}`);
    expect([...found.items, ...rest.items].map((p) => p.id).sort()).toEqual([...ids].sort());
    const prefix = await page(`/api/products?q=${word.slice(0, 10)}`);
    expect(prefix.items.length).toBe(5);
    const typo = await api(`/api/products?q=${word.replace('widget', 'wigdet')}`);
    expect(typo.status).toBe(200);
    expect(((await typo.json()) as PageJson).items.map((p) => p.id).sort()).toEqual([...ids].sort());
  });

  it('reserves an order arriving on the memory bus and answers inventory.reserved through the outbox', async () => {
    const token = await jwks.sign('seller');
    const created = await one(api('/api/products', json(productBody({ stock: 2 }), token)));
    const order = newEvent('order.created', {
      orderId: randomUUID(),
      userId: randomUUID(),
      items: [{ productId: created.id, quantity: 2, unitPrice: { amount: 100, currency: 'USD' } }],
      total: { amount: 200, currency: 'USD' },
    });
    await platform.publish([order, order]);
    await eventually(() => {
      const reserved = heard.filter(
        (e) => e.type === 'inventory.reserved' && (e.data as { orderId: string }).orderId === order.data.orderId,
      );
      expect(reserved).toHaveLength(1);
    }, 10_000);
    expect((await one(api(`/api/products/${created.id}`))).stock).toBe(0);
  });

  it('a restart seeds nothing again and hands the demo catalog to the demo seller once it is known', async () => {
    await service.stop();
    const demoSeller = randomUUID();
    service = await startProduct(loadConfig({ ...env(), DEMO_SELLER_ID: demoSeller }), { pglite: host, bus: broker });
    expect(service.demoProducts).toBe(0);
    const owned = await page(`/api/products?sellerId=${demoSeller}&limit=100`);
    expect(owned.items).toHaveLength(DEMO_PRODUCTS);
    const token = await jwks.sign('seller', demoSeller);
    const res = await api(`/api/products/${owned.items[0]?.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ price: 777 }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  }, 60_000);
});
