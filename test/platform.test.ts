// `npm start` as a new user runs it: one process, embedded PGlite and memory cache, spoken to
// over real HTTP through the gateway, then stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@microbazaar/kit/testing';
import { Validator } from '@seriousme/openapi-schema-validator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let output = '';
let gateway: string;
const dataDir = mkdtempSync(join(tmpdir(), 'microbazaar-e2e-'));

beforeAll(async () => {
  const names = ['GATEWAY', 'AUTH', 'PRODUCT', 'CART', 'ORDER', 'PAYMENT', 'NOTIFICATION', 'ASSISTANT'];
  const ports = await Promise.all(names.map(() => freePort()));
  gateway = `http://127.0.0.1:${ports[0]}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    ...Object.fromEntries(names.map((n, i) => [`${n}_PORT`, String(ports[i])])),
    LOG_LEVEL: 'warn',
    // the gateway serves /metrics only to its token
    METRICS_TOKEN: 'platform-test-metrics-token',
  };
  // the exact command behind `npm start` (run without npm in between, so SIGTERM reaches it as in a container)
  const root = join(import.meta.dirname, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [bin, ...args] = pkg.scripts.start.split(' ');
  child = spawn(join(root, 'node_modules', '.bin', bin!), args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 150_000;
  while (!output.includes('microBazaar is up')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const res = await fetch(`${gateway}${path}`, {
    ...init,
    headers: {
      ...(init.json ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string>),
    },
    body: init.json ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('npm start (embedded platform)', () => {
  it('prints the URLs and the demo admin once', () => {
    expect(output).toContain(`gateway      http://localhost:${new URL(gateway).port}`);
    expect(output).toContain('admin@microbazaar.local / admin12345');
  });

  it('register → login → me through the gateway over real HTTP', async () => {
    const email = `e2e-${Date.now()}@example.com`;
    const reg = await call('/api/auth/register', {
      method: 'POST',
      json: { email, password: 'e2e password', name: 'E2E' },
    });
    expect(reg.status).toBe(201);
    expect(reg.headers.get('x-request-id')).toBeTruthy();
    const login = await call('/api/auth/login', { method: 'POST', json: { email, password: 'e2e password' } });
    expect(login.status).toBe(200);
    const me = await call('/api/auth/me', { headers: { authorization: `Bearer ${login.body.token}` } });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
  });

  it('the gateway refuses a bad token at the edge and passes request ids', async () => {
    const res = await call('/api/auth/me', {
      headers: { authorization: 'Bearer nope.nope.nope', 'x-request-id': 'e2e-req-1' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('e2e-req-1');
    expect(res.body.error.requestId).toBe('e2e-req-1');
  });

  it('the demo admin can list users', async () => {
    const login = await call('/api/auth/login', {
      method: 'POST',
      json: { email: 'admin@microbazaar.local', password: 'admin12345' },
    });
    expect(login.status).toBe(200);
    const users = await call('/api/auth/users?limit=5', { headers: { authorization: `Bearer ${login.body.token}` } });
    expect(users.status).toBe(200);
    expect(users.body.items.length).toBeGreaterThan(0);
  });

  it('lists the demo catalog through the gateway', async () => {
    const res = await call('/api/products?limit=5');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBe(5);
    expect(res.body.items[0].price).toMatchObject({ amount: expect.any(Number), currency: expect.any(String) });
  });

  it("takes the seed's multipart product form with megabytes of images through the gateway", async () => {
    const login = await call('/api/auth/login', {
      method: 'POST',
      json: { email: 'seller@microbazaar.local', password: 'seller12345' },
    });
    expect(login.status).toBe(200);
    // noise does not compress: each PNG is about 2 MB, the form about 4 MB, over the 1 MiB JSON limit
    const noise = (seed: number) =>
      sharp({
        create: {
          width: 800,
          height: 800,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128 + seed, sigma: 60 },
        },
      })
        .png()
        .toBuffer();
    const images = await Promise.all([noise(0), noise(1)]);
    expect(images[0]!.length).toBeGreaterThan(1024 * 1024);
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: 'Noise Poster', price: '2500', currency: 'USD', stock: '3' })) {
      form.append(k, v);
    }
    images.forEach((img, i) => {
      form.append('images', new Blob([img], { type: 'image/png' }), `poster-${i}.png`);
    });
    const created = await call('/api/products', {
      method: 'POST',
      headers: { authorization: `Bearer ${login.body.token}` },
      body: form,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.images).toHaveLength(2);
    const original = await fetch(`${gateway}${created.body.images[1].url}`);
    expect(original.status).toBe(200);
    expect((await sharp(Buffer.from(await original.arrayBuffer())).metadata()).width).toBe(800);
  });

  it('the assistant answers through the gateway, the demo catalog indexed', async () => {
    const { items } = (await call('/api/products?limit=1')).body as { items: Array<{ id: string; name: string }> };
    const demo = items[0]!;
    // the assistant reads the catalog in the background after the start
    const deadline = Date.now() + 60_000;
    let found: Array<{ id: string }> = [];
    while (Date.now() < deadline) {
      const res = await call(`/api/assistant/search?q=${encodeURIComponent(demo.name)}&limit=5`);
      expect(res.status).toBe(200);
      found = res.body.items;
      if (found.some((p) => p.id === demo.id)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(found.map((p) => p.id)).toContain(demo.id);
    const chat = await call('/api/assistant/chat', { method: 'POST', json: { message: 'hello' } });
    expect(chat.status).toBe(200);
    expect(chat.body).toMatchObject({ intent: 'greeting', conversationId: expect.any(String) });
  });

  it('serves the merged OpenAPI document: valid OpenAPI 3.1, shared schemas defined once', async () => {
    const res = await call('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc['x-unavailable']).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/auth/login',
        '/api/products',
        '/api/orders',
        '/api/cart',
        '/api/notifications',
        '/api/assistant/chat',
      ]),
    );
    expect(await new Validator().validate(doc)).toMatchObject({ valid: true });
    // the check can fail: the same document without its info is not OpenAPI
    expect(await new Validator().validate({ ...doc, info: undefined })).toMatchObject({ valid: false });

    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'Money', 'Product', 'ProductPage', 'Category', 'Image']),
    );
    const text = JSON.stringify(doc);
    // the error body is defined once (its requestId: a property and a required field), then referenced
    expect(text.match(/"requestId"/g)).toHaveLength(2);
    expect(doc.paths['/api/products'].post.responses['400']).toEqual({ $ref: '#/components/responses/Error' });
    expect(doc.paths['/api/orders'].post.responses['400']).toEqual({ $ref: '#/components/responses/Error' });
    // Money is one schema, shared by the catalog, carts, orders and payments
    expect(Object.keys(doc.components.schemas).filter((name) => /money/i.test(name))).toEqual(['Money']);
    // every reference resolves
    const refs = [...text.matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) {
      const target = ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
    expect((await fetch(`${gateway}/docs/openapi.json`, { redirect: 'manual' })).status).toBe(308);
  });

  it('serves the API reference at /docs from its own files, and health and metrics', async () => {
    const page = await fetch(`${gateway}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.filter((a) => a.endsWith('.js'))).toHaveLength(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\/assets\//);
      expect((await fetch(`${gateway}${asset}`)).status, asset).toBe(200);
    }
    expect((await call('/health/ready')).status).toBe(200);
    expect((await fetch(`${gateway}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${gateway}/metrics`, {
      headers: { authorization: 'Bearer platform-test-metrics-token' },
    });
    expect(await metrics.text()).toContain('http_requests_total');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM received, draining');
  }, 30_000);
});
