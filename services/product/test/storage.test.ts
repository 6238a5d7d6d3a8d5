// The S3 and ImageKit storage adapters behind real HTTP: S3 against s3rver (an S3-compatible server on
// loopback) and a blackhole (accepts, never answers), ImageKit against a loopback stand-in for its upload,
// list and delete APIs (the SDK's own requests). A storage that hangs is a 503, never a hung request.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@microbazaar/kit/testing';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { formData, type Harness, sampleImage, startHarness } from './harness.js';

async function uploadProduct(h: Harness, name: string, images: Buffer[]) {
  const seller = await h.actor('seller');
  const form = formData(
    { name, price: '2500' },
    images.map((body, i) => ({ field: 'images', filename: `${i}.jpg`, body })),
  );
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/products',
    payload: form.payload,
    headers: { ...form.headers, ...seller.auth },
  });
  return { res, seller };
}

async function productsNamed(h: Harness, name: string): Promise<number> {
  const [row] = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM products WHERE name = $1', [name]);
  return row?.n ?? -1;
}

describe('S3 (s3rver on loopback)', () => {
  let s3: S3rver;
  let dir: string;
  let endpoint: string;
  let h: Harness;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbt-s3-'));
    s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'media', configs: [] }],
    });
    const { port } = await s3.run();
    endpoint = `http://127.0.0.1:${port}`;
    h = await startHarness('s3', {
      MEDIA_STORAGE: 's3',
      S3_BUCKET: 'media',
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });
  afterAll(async () => {
    await h?.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the three renditions in the bucket with immutable cache headers, at the bucket URL', async () => {
    const { res } = await uploadProduct(h, 'S3 Camera', [await sampleImage('jpeg', 800, 600)]);
    expect(res.statusCode, res.body).toBe(201);
    const [image] = res.json().images;
    expect(image.url).toMatch(new RegExp(`^${endpoint}/media/products/[0-9a-f-]+/[0-9a-f-]+/original\\.jpg$`));
    for (const [url, type] of [
      [image.url, 'image/jpeg'],
      [image.thumbnailUrl, 'image/webp'],
      [image.mediumUrl, 'image/webp'],
    ] as const) {
      const file = await fetch(url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(type);
      expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    const thumb = Buffer.from(await (await fetch(image.thumbnailUrl)).arrayBuffer());
    expect(await sharp(thumb).metadata()).toMatchObject({ width: 320, height: 240 });
    expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).json().checks.storage).toBe('ok');
    // no /media route: the bucket serves the files
    expect((await h.app.inject({ method: 'GET', url: '/media/x.jpg' })).statusCode).toBe(404);
  });

  it('deletes the objects with the image', async () => {
    const { res, seller } = await uploadProduct(h, 'S3 Shrinking Camera', [await sampleImage('jpeg', 200, 200)]);
    const p = res.json();
    const [image] = p.images;
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/products/${p.id}/images/${image.id}`,
      headers: seller.auth,
    });
    expect(del.statusCode).toBe(204);
    for (const url of [image.url, image.thumbnailUrl, image.mediumUrl]) expect((await fetch(url)).status).toBe(404);
  });
});

describe('S3 object ACL (requests recorded by a loopback stand-in)', () => {
  let server: Server;
  let endpoint: string;
  const puts: Array<{ url: string; acl: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'PUT')
          puts.push({ url: req.url ?? '', acl: req.headers['x-amz-acl'] as string | undefined });
        res.writeHead(200, { etag: '"0"' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    [{}, undefined],
    [{ S3_OBJECT_ACL: 'none' }, undefined],
    [{ S3_OBJECT_ACL: 'public-read' }, 'public-read'],
  ] as const)('with %j every rendition is put with ACL %s', async (env, acl) => {
    const h = await startHarness('s3-acl', {
      MEDIA_STORAGE: 's3',
      S3_BUCKET: 'media',
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_PUBLIC_URL: 'https://cdn.example.com/',
      ...env,
    });
    try {
      puts.length = 0;
      const { res } = await uploadProduct(h, `ACL Camera ${acl}`, [await sampleImage('jpeg', 100, 100)]);
      expect(res.statusCode, res.body).toBe(201);
      expect(puts.map((p) => p.url)).toHaveLength(3);
      for (const put of puts) expect(put.acl, put.url).toBe(acl);
      // clients fetch from the public base URL, not from the bucket endpoint
      expect(res.json().images[0].url).toMatch(
        /^https:\/\/cdn\.example\.com\/products\/[0-9a-f-]+\/[0-9a-f-]+\/original\.jpg$/,
      );
    } finally {
      await h.close();
    }
  });

  it('refuses an ACL S3 has no use for here', () => {
    expect(() => loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media', S3_OBJECT_ACL: 'public-read-write' })).toThrow(
      /S3_OBJECT_ACL/,
    );
  });
});

describe('S3 that accepts connections and never answers (a blackhole on loopback)', () => {
  let server: ReturnType<typeof createTcpServer>;
  const sockets = new Set<Socket>();
  let h: Harness;

  beforeAll(async () => {
    server = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    h = await startHarness('s3-blackhole', {
      MEDIA_STORAGE: 's3',
      S3_BUCKET: 'media',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      MEDIA_CONNECTION_TIMEOUT_MS: '200',
      MEDIA_REQUEST_TIMEOUT_MS: '200',
    });
  });
  afterAll(async () => {
    await h?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('answers an upload with 503 once the request times out, and leaves no product', async () => {
    const { res } = await uploadProduct(h, 'Blackholed Camera', [await sampleImage('jpeg', 200, 200)]);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json().error.code).toBe('MEDIA_STORAGE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    expect(await productsNamed(h, 'Blackholed Camera')).toBe(0);
    expect(
      (await h.outbox('product.created')).filter((e) => 'name' in e.data && e.data.name === 'Blackholed Camera'),
    ).toHaveLength(0);
  });

  it('reports the storage not ready (the bucket check times out too)', async () => {
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.storage).not.toBe('ok');
  });

  it('still creates products without images (they need no storage)', async () => {
    const seller = await h.actor('seller');
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/products',
      payload: { name: 'Imageless Camera', price: 100 },
      headers: seller.auth,
    });
    expect(res.statusCode).toBe(201);
  });
});

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Buffer;
}

describe('ImageKit (its SDK against a loopback stand-in)', () => {
  let server: Server;
  let base: string;
  let h: Harness;
  const received: Received[] = [];
  let lastFileId = '';
  /** while set, uploads and listings are held unanswered until released */
  let stall = false;
  const stalled: Array<() => void> = [];
  const urlEndpoint = 'https://ik.imagekit.io/microbazaar-test';
  // the SDK reaches the management API at a fixed host: its requests are pointed at the stand-in
  const axios = createRequire(import.meta.url)('axios') as {
    interceptors: { request: { use(fn: (c: { url?: string }) => unknown): number; eject(id: number): void } };
  };
  let interceptor: number;

  beforeAll(async () => {
    let n = 0;
    const answerUpload = (body: Buffer, res: ServerResponse) => {
      const text = body.toString('latin1');
      const fileName = /name="fileName"\r\n\r\n([^\r]+)/.exec(text)?.[1] ?? 'file';
      const folder = /name="folder"\r\n\r\n([^\r]+)/.exec(text)?.[1] ?? '/';
      n += 1;
      lastFileId = `file_${n}`;
      const filePath = `${folder}/${fileName}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          fileId: `file_${n}`,
          name: fileName,
          filePath,
          url: `${urlEndpoint}${filePath}`,
          fileType: 'image',
        }),
      );
    };
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
        if (req.method === 'POST' && req.url === '/api/v1/files/upload') {
          if (stall) {
            stalled.push(() => answerUpload(body, res));
            return;
          }
          answerUpload(body, res);
        } else if (req.method === 'DELETE' && req.url?.startsWith('/v1/files/')) {
          res.writeHead(204).end();
        } else if (req.method === 'GET' && req.url?.startsWith('/v1/files')) {
          if (stall) stalled.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
          else res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    interceptor = axios.interceptors.request.use((config) => {
      if (config.url?.startsWith('https://api.imagekit.io'))
        config.url = config.url.replace('https://api.imagekit.io', base);
      return config;
    });
    h = await startHarness('imagekit', {
      MEDIA_STORAGE: 'imagekit',
      IMAGEKIT_PUBLIC_KEY: 'public_test',
      IMAGEKIT_PRIVATE_KEY: 'private_test',
      IMAGEKIT_URL_ENDPOINT: urlEndpoint,
      IMAGEKIT_UPLOAD_ENDPOINT: `${base}/api/v1/files/upload`,
      MEDIA_REQUEST_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    for (const release of stalled.splice(0)) release();
    axios.interceptors.request.eject(interceptor);
    await h?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('uploads only the stripped original; thumbnail and medium are ImageKit URL transforms', async () => {
    received.length = 0;
    const { res } = await uploadProduct(h, 'ImageKit Camera', [await sampleImage('jpeg', 800, 600)]);
    expect(res.statusCode, res.body).toBe(201);
    const uploads = received.filter((r) => r.method === 'POST');
    expect(uploads).toHaveLength(1);
    const [upload] = uploads;
    expect(upload?.authorization).toBe(`Basic ${Buffer.from('private_test:').toString('base64')}`);
    expect(upload?.body.includes(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    expect(upload?.body.includes(Buffer.from('Secret Model 9'))).toBe(false);
    expect(upload?.body.toString('latin1')).toMatch(/name="useUniqueFileName"\r\n\r\nfalse/);

    const [image] = res.json().images;
    expect(image.url).toMatch(
      /^https:\/\/ik\.imagekit\.io\/microbazaar-test\/microbazaar\/products\/[0-9a-f-]+\/[0-9a-f-]+\/original\.jpg$/,
    );
    // the SDK writes the transform as ?tr=w-320%2Ch-320%2Cc-at_max
    expect(decodeURIComponent(image.thumbnailUrl)).toBe(`${image.url}?tr=w-320,h-320,c-at_max`);
    expect(decodeURIComponent(image.mediumUrl)).toBe(`${image.url}?tr=w-1024,h-1024,c-at_max`);
    expect(image).toMatchObject({ width: 800, height: 600 });
  });

  it('deletes the file by its ImageKit id when the image goes', async () => {
    const { res, seller } = await uploadProduct(h, 'ImageKit Shrinking Camera', [await sampleImage('jpeg', 100, 100)]);
    const p = res.json();
    const uploadedAs = lastFileId;
    received.length = 0;
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/products/${p.id}/images/${p.images[0].id}`,
      headers: seller.auth,
    });
    expect(del.statusCode).toBe(204);
    const deletes = received.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.url).toBe(`/v1/files/${uploadedAs}`);
    expect(deletes[0]?.authorization).toBe(`Basic ${Buffer.from('private_test:').toString('base64')}`);
  });

  it('answers 503 when ImageKit does not answer in time, leaves no product, and removes the upload that lands late', async () => {
    stall = true;
    try {
      const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      const { res } = await uploadProduct(h, 'Stalled ImageKit Camera', [await sampleImage('jpeg', 100, 100)]);
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error.code).toBe('MEDIA_STORAGE_UNAVAILABLE');
      expect(await productsNamed(h, 'Stalled ImageKit Camera')).toBe(0);
    } finally {
      stall = false;
    }
    received.length = 0;
    // ImageKit finishes the upload after all: nothing refers to the file, so it goes again
    for (const release of stalled.splice(0)) release();
    await eventually(() => {
      expect(received.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([`/v1/files/${lastFileId}`]);
    });
  });

  it('checks readiness with one authenticated API call', async () => {
    received.length = 0;
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json().checks.storage).toBe('ok');
    const [list] = received.filter((r) => r.method === 'GET');
    expect(list?.url).toMatch(/^\/v1\/files\/?\?/);
    expect(list?.authorization).toBe(`Basic ${Buffer.from('private_test:').toString('base64')}`);
  });
});
