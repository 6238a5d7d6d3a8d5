// Product images on local storage: multipart create (the seed's form), checks by content (415), size (413),
// damage (400), renditions without metadata, /media serving, adding and removing, and failed uploads
// that leave neither a product nor files behind.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { createLogger, MemoryCache } from '@microbazaar/kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type MediaStorage } from '../src/adapters/storage.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Actor, formData, type Harness, sampleImage, startHarness } from './harness.js';

let h: Harness;
let seller: Actor;
let otherSeller: Actor;
/** puts left before the storage fails (Infinity: never) */
let putsBeforeFailure = Number.POSITIVE_INFINITY;

beforeAll(async () => {
  h = await startHarness(
    'images',
    { IMAGES_PER_PRODUCT: '3' },
    {
      storage: async (config) => {
        const real = await createStorage(config);
        // the local storage (open() included) whose put fails once the budget is spent
        const flaky: MediaStorage = {
          ...real,
          async put(key, body, type) {
            if (putsBeforeFailure <= 0) throw new Error('storage is down');
            putsBeforeFailure--;
            return real.put(key, body, type);
          },
        };
        return flaky;
      },
    },
  );
  [seller, otherSeller] = await Promise.all([h.actor('seller'), h.actor('seller')]);
});
afterAll(() => h?.close());

const fields = (name: string) => ({
  name,
  price: '1999',
  currency: 'USD',
  category: 'cameras',
  stock: '5',
  attributes: '{"brand":"Lumen"}',
});

function filesOnDisk(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else out.push(join(dir, entry.name));
    }
  };
  walk(h.mediaDir);
  return out;
}

async function upload(name: string, files: Parameters<typeof formData>[1], actor = seller) {
  const form = formData(fields(name), files);
  return h.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: form.payload,
    headers: { ...form.headers, ...actor.auth },
  });
}

async function countByName(name: string): Promise<number> {
  const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM products WHERE name = $1', [name]);
  return row?.n ?? 0;
}

const media = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

describe('creating a product with images (multipart/form-data)', () => {
  it('stores thumbnail, medium and a metadata-free original for each file, served at /media with cache headers', async () => {
    const res = await upload('Camera With Pictures', [
      { field: 'images', filename: 'front.jpg', body: await sampleImage('jpeg', 1200, 900), type: 'image/jpeg' },
      { field: 'images', filename: 'side.png', body: await sampleImage('png', 600, 800), type: 'image/png' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({
      name: 'Camera With Pictures',
      price: { amount: 1999 },
      stock: 5,
      attributes: { brand: 'Lumen' },
    });
    expect(p.images).toHaveLength(2);
    expect(p.images[0]).toMatchObject({ width: 1200, height: 900 });
    expect(p.images[1]).toMatchObject({ width: 600, height: 800 });

    const [front] = p.images;
    const original = await media(front.url);
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/jpeg');
    expect(original.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const originalMeta = await sharp(original.rawPayload).metadata();
    expect(originalMeta).toMatchObject({ format: 'jpeg', width: 1200, height: 900 });
    expect(originalMeta.exif).toBeUndefined();
    expect(original.rawPayload.includes(Buffer.from('Secret Model 9'))).toBe(false);

    const thumb = await media(front.thumbnailUrl);
    expect(thumb.headers['content-type']).toBe('image/webp');
    expect(await sharp(thumb.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });
    const medium = await media(front.mediumUrl);
    expect(await sharp(medium.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 1024, height: 768 });
    // never enlarged
    const sideMedium = await media(p.images[1].mediumUrl);
    expect(await sharp(sideMedium.rawPayload).metadata()).toMatchObject({ width: 600, height: 800 });

    const etag = original.headers.etag as string;
    expect((await media(front.url, { 'if-none-match': etag })).statusCode).toBe(304);
    expect((await h.app.inject({ method: 'HEAD', url: front.url })).headers['content-length']).toBe(
      String(original.rawPayload.length),
    );
  });

  it('accepts the seed form field "image", WebP and AVIF', async () => {
    const res = await upload('Seed Form Camera', [
      { field: 'image', filename: 'a.webp', body: await sampleImage('webp', 400, 300) },
      { field: 'images', filename: 'b.avif', body: await sampleImage('avif', 300, 300) },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const [webp, avif] = res.json().images;
    expect((await media(webp.url)).headers['content-type']).toBe('image/webp');
    expect((await media(avif.url)).headers['content-type']).toBe('image/avif');
    expect(await sharp((await media(avif.url)).rawPayload).metadata()).toMatchObject({ format: 'heif', width: 300 });
  });

  it('refuses a text file named .png with 415, creating nothing', async () => {
    const before = filesOnDisk().length;
    const res = await upload('Fake Png Camera', [
      { field: 'images', filename: 'photo.png', body: Buffer.from('just some text, not an image'), type: 'image/png' },
    ]);
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_IMAGE_TYPE');
    expect(await countByName('Fake Png Camera')).toBe(0);
    expect(filesOnDisk().length).toBe(before);
  });

  it('refuses a GIF and an SVG by their bytes (415)', async () => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    for (const [filename, body] of [
      ['x.gif', gif],
      ['x.jpg', svg],
    ] as const) {
      expect((await upload('Other Formats', [{ field: 'images', filename, body }])).statusCode).toBe(415);
    }
  });

  it('refuses a file over the size limit with 413, creating nothing', async () => {
    const big = Buffer.alloc(h.config.IMAGE_MAX_BYTES + 1, 0);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const res = await upload('Huge Camera', [{ field: 'images', filename: 'huge.jpg', body: big }]);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('IMAGE_TOO_LARGE');
    expect(await countByName('Huge Camera')).toBe(0);
  });

  it('refuses an image over ≈40 MP by default with 413 from its header, before decoding it', async () => {
    expect(loadConfig({ NODE_ENV: 'test' }).IMAGE_MAX_PIXELS).toBe(40_000_000);
    expect(h.config.IMAGE_MAX_PIXELS).toBe(40_000_000);
    // 8 000 × 6 000 (48 MP) in 1-bit grey: a few kilobytes that would decode to hundreds of megabytes
    const bomb = pixelBomb(8000, 6000);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const before = filesOnDisk().length;
    const res = await upload('Bomb Camera', [{ field: 'images', filename: 'bomb.png', body: bomb }]);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('40000000') });
    expect(await countByName('Bomb Camera')).toBe(0);
    expect(filesOnDisk().length).toBe(before);
  });

  it('refuses a damaged image with 400, creating nothing', async () => {
    const good = await sampleImage('png', 200, 200);
    const corrupt = Buffer.concat([good.subarray(0, 60), Buffer.alloc(400, 7)]);
    const before = filesOnDisk().length;
    const res = await upload('Broken Camera', [
      { field: 'images', filename: 'ok.jpg', body: await sampleImage('jpeg', 100, 100) },
      { field: 'images', filename: 'broken.png', body: corrupt },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_IMAGE');
    expect(await countByName('Broken Camera')).toBe(0);
    expect(filesOnDisk().length).toBe(before);
  });

  it('refuses more images than a product may have (413)', async () => {
    const body = await sampleImage('jpeg', 50, 50);
    const files = Array.from({ length: 4 }, (_, i) => ({ field: 'images', filename: `${i}.jpg`, body }));
    const res = await upload('Crowded Camera', files);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('TOO_MANY_IMAGES');
  });

  it('validates the text fields like a JSON body', async () => {
    const send = (f: Record<string, string>) => {
      const form = formData(f, []);
      return h.app.inject({
        method: 'POST',
        url: '/api/products',
        payload: form.payload,
        headers: { ...form.headers, ...seller.auth },
      });
    };
    expect((await send({ name: 'x', price: '19.99' })).statusCode).toBe(400);
    expect((await send({ name: 'x', price: '1', attributes: '{not json' })).statusCode).toBe(400);
    expect((await send({ name: 'x', price: '1', colour: 'red' })).statusCode).toBe(400);
    const ok = await send({ name: 'No Picture Camera', price: '100' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ images: [], price: { amount: 100 } });
  });

  it('answers 401 before reading an upload without a token', async () => {
    const form = formData(fields('Anonymous Camera'), [
      { field: 'images', filename: 'a.jpg', body: await sampleImage() },
    ]);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: form.payload,
      headers: form.headers,
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('failed uploads leave nothing behind', () => {
  it('storage failing half-way: 503, no product, the files already stored are removed', async () => {
    const before = filesOnDisk().length;
    putsBeforeFailure = 4; // the first image's three renditions and one of the second's
    try {
      const res = await upload('Half Uploaded Camera', [
        { field: 'images', filename: 'a.jpg', body: await sampleImage('jpeg', 300, 200) },
        { field: 'images', filename: 'b.jpg', body: await sampleImage('jpeg', 300, 200) },
      ]);
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('MEDIA_STORAGE_UNAVAILABLE');
    } finally {
      putsBeforeFailure = Number.POSITIVE_INFINITY;
    }
    expect(await countByName('Half Uploaded Camera')).toBe(0);
    expect(filesOnDisk().length).toBe(before);
  });

  it('the database refusing the product after the upload: no product, the stored files are removed', async () => {
    await h.db.exec(`
      CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'Doomed Camera' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_doomed BEFORE INSERT ON products FOR EACH ROW EXECUTE FUNCTION refuse_doomed();`);
    try {
      const before = filesOnDisk().length;
      const res = await upload('Doomed Camera', [{ field: 'images', filename: 'a.jpg', body: await sampleImage() }]);
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('refused');
      expect(await countByName('Doomed Camera')).toBe(0);
      expect(filesOnDisk().length).toBe(before);
    } finally {
      await h.db.exec('DROP TRIGGER refuse_doomed ON products; DROP FUNCTION refuse_doomed();');
    }
  });
});

describe('adding and removing images', () => {
  it('appends images up to the limit (409 beyond), owner only; removing one deletes its files', async () => {
    const created = await upload('Growing Camera', [
      { field: 'images', filename: 'a.jpg', body: await sampleImage('jpeg', 200, 200) },
    ]);
    const p = created.json();
    const add = async (actor: Actor, count: number) => {
      const body = await sampleImage('png', 100, 100);
      const form = formData(
        {},
        Array.from({ length: count }, (_, i) => ({ field: 'images', filename: `${i}.png`, body })),
      );
      return h.app.inject({
        method: 'POST',
        url: `/api/products/${p.id}/images`,
        payload: form.payload,
        headers: { ...form.headers, ...actor.auth },
      });
    };
    expect((await add(otherSeller, 1)).statusCode).toBe(403);
    const added = await add(seller, 2);
    expect(added.statusCode).toBe(201);
    expect(added.json().images).toHaveLength(3);
    expect(added.json().images[0].id).toBe(p.images[0].id);
    const full = await add(seller, 1);
    expect(full.statusCode).toBe(409);
    expect(full.json().error.code).toBe('IMAGE_LIMIT_REACHED');

    const empty = await h.app.inject({
      method: 'POST',
      url: `/api/products/${p.id}/images`,
      payload: {},
      headers: seller.auth,
    });
    expect(empty.statusCode).toBe(400);

    const victim = added.json().images[1];
    expect((await media(victim.url)).statusCode).toBe(200);
    const removeAs = (actor: Actor, imageId: string) =>
      h.app.inject({ method: 'DELETE', url: `/api/products/${p.id}/images/${imageId}`, headers: actor.auth });
    expect((await removeAs(otherSeller, victim.id)).statusCode).toBe(403);
    expect((await removeAs(seller, victim.id)).statusCode).toBe(204);
    expect((await removeAs(seller, victim.id)).statusCode).toBe(404);
    for (const url of [victim.url, victim.thumbnailUrl, victim.mediumUrl])
      expect((await media(url)).statusCode).toBe(404);
    const after = (await h.app.inject({ method: 'GET', url: `/api/products/${p.id}` })).json();
    expect(after.images.map((i: { id: string }) => i.id)).toEqual([p.images[0].id, added.json().images[2].id]);
  });
});

describe('reordering images', () => {
  it('puts the images in the order given (owner or admin); 400 unless each image is named once; 403/404 otherwise', async () => {
    const png = await sampleImage('png', 80, 80);
    const created = await upload(
      'Reordered Camera',
      ['a', 'b', 'c'].map((n) => ({ field: 'images', filename: `${n}.png`, body: png })),
    );
    expect(created.statusCode).toBe(201);
    const p = created.json();
    const [a, b, c] = p.images.map((i: { id: string }) => i.id) as [string, string, string];
    const order = (actor: Actor | null, imageIds: unknown, ref: string = p.id) =>
      h.app.inject({
        method: 'PUT',
        url: `/api/products/${ref}/images/order`,
        payload: { imageIds },
        headers: actor?.auth ?? {},
      });

    const moved = await order(seller, [c, a, b]);
    expect(moved.statusCode).toBe(200);
    expect(moved.json().images.map((i: { id: string }) => i.id)).toEqual([c, a, b]);
    const read = (await h.app.inject({ method: 'GET', url: `/api/products/${p.slug}` })).json();
    expect(read.images.map((i: { id: string }) => i.id)).toEqual([c, a, b]);

    for (const bad of [
      [c, a],
      [c, a, a],
      [c, a, b, b],
      [c, a, '00000000-0000-4000-8000-000000000000'],
    ]) {
      const res = await order(seller, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().error.code).toBe('IMAGE_ORDER_INVALID');
    }
    expect((await order(seller, 'c,a,b')).statusCode).toBe(400);
    expect((await order(null, [a, b, c])).statusCode).toBe(401);
    expect((await order(otherSeller, [a, b, c])).statusCode).toBe(403);
    expect((await order(seller, [a, b, c], '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const admin = await h.actor('admin');
    expect((await order(admin, [b, c, a])).statusCode).toBe(200);
    const after = (await h.app.inject({ method: 'GET', url: `/api/products/${p.id}` })).json();
    expect(after.images.map((i: { id: string }) => i.id)).toEqual([b, c, a]);
  });
});

describe('/media', () => {
  it('serves nothing outside the media folder and nothing but images', async () => {
    for (const url of [
      '/media/../../etc/passwd',
      '/media/%2e%2e/%2e%2e/etc/passwd',
      '/media/products/x/y/original.txt',
      '/media/nope.jpg',
    ]) {
      expect((await media(url)).statusCode, url).toBe(404);
    }
  });
});

describe('bounded image work (issue 14.11)', () => {
  it('renders at most IMAGE_JOBS images at once, each with IMAGE_THREADS libvips threads', async () => {
    expect(h.config).toMatchObject({ IMAGE_JOBS: 2, IMAGE_THREADS: 2 });
    expect(sharp.concurrency()).toBe(2);
    const body = await sampleImage('jpeg', 900, 700);
    const sellers = await Promise.all(Array.from({ length: 4 }, () => h.actor('seller')));
    const results = await Promise.all(
      sellers.map((s, i) => upload(`Parallel Camera ${i}`, [{ field: 'images', filename: `${i}.jpg`, body }], s)),
    );
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    expect(h.service.renderer.active).toBe(0);
    expect(h.service.renderer.peak).toBeGreaterThanOrEqual(1);
    expect(h.service.renderer.peak).toBeLessThanOrEqual(2);
  });

  it('limits the images one seller uploads per window: 429 with the error body and retry-after', async () => {
    // the same service with IMAGE_UPLOAD_LIMIT=3 on the harness database, its own counters
    const cache = new MemoryCache('product:');
    const limited = await buildApp({
      config: { ...h.config, IMAGE_UPLOAD_LIMIT: 3, IMAGE_UPLOAD_WINDOW_SECONDS: 600 },
      logger: createLogger('product', 'silent'),
      db: h.db,
      bus: h.bus,
      cache,
      storage: h.storage,
      workers: false,
    });
    try {
      const [busy, other] = await Promise.all([h.actor('seller'), h.actor('seller')]);
      const body = await sampleImage('jpeg', 120, 90);
      const create = (actor: typeof busy, name: string, count: number) => {
        const files = Array.from({ length: count }, (_, i) => ({ field: 'images', filename: `${i}.jpg`, body }));
        const form = formData(fields(name), files);
        return limited.app.inject({
          method: 'POST',
          url: '/api/products',
          payload: form.payload,
          headers: { ...form.headers, ...actor.auth },
        });
      };
      const first = await create(busy, 'Budget Camera', 2);
      expect(first.statusCode).toBe(201);
      const more = formData({}, [{ field: 'images', filename: 'c.jpg', body }]);
      const added = await limited.app.inject({
        method: 'POST',
        url: `/api/products/${first.json().id}/images`,
        payload: more.payload,
        headers: { ...more.headers, ...busy.auth },
      });
      expect(added.statusCode).toBe(201);

      const before = filesOnDisk().length;
      const refused = await create(busy, 'Over Budget Camera', 1);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED', requestId: refused.headers['x-request-id'] });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      expect(await countByName('Over Budget Camera')).toBe(0);
      expect(filesOnDisk().length).toBe(before);

      // products without images are not uploads; another seller has a budget of their own
      const plain = await limited.app.inject({
        method: 'POST',
        url: '/api/products',
        payload: { name: 'Plain Camera', price: 1000 },
        headers: busy.auth,
      });
      expect(plain.statusCode).toBe(201);
      expect((await create(other, 'Other Budget Camera', 3)).statusCode).toBe(201);
    } finally {
      await limited.app.close();
      await cache.close();
    }
  });
});

/** A valid PNG of width × height 1-bit grey pixels, all black: tiny on disk, huge once decoded. */
function pixelBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  // each row: a filter byte, then width / 8 bytes of pixels
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
