// Builds the product service with the kit's service harness (a fresh database, a RabbitMQ name prefix and a
// second bus playing the rest of the platform), with tokens signed by a real JWKS server on loopback and
// local media in a temporary folder. HTTP-only by default; `workers: true` runs the relay, the sweeper and
// the inventory_queue consumer, and records the product.* and inventory.* events it publishes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyEvent } from '@microbazaar/contracts';
import { createLogger, type Env, MemoryCache, type Role } from '@microbazaar/kit';
import { type ServiceHarness, startServiceHarness, startTokenIssuer } from '@microbazaar/kit/testing';
import sharp from 'sharp';
import { createStorage, type MediaStorage } from '../src/adapters/storage.js';
import { buildApp, migrations, type ProductService } from '../src/app.js';
import { loadConfig, type ProductConfig } from '../src/config.js';

export interface Jwks {
  url: string;
  sign(role: Role, userId?: string, opts?: { expiresIn?: string }): Promise<string>;
  close(): Promise<void>;
}

/** The kit's token issuer with this file's sign(role, userId?) shape; `issuer`/`audience` for the mismatch tests. */
export async function startJwks(issuer = 'microbazaar-auth', audience = 'microbazaar'): Promise<Jwks> {
  const tokens = await startTokenIssuer({ issuer, audience });
  return {
    url: tokens.jwksUrl,
    sign: (role, userId = randomUUID(), opts = {}) =>
      tokens.sign(userId, role, opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
    close: tokens.close,
  };
}

export interface Actor {
  id: string;
  token: string;
  auth: { authorization: string };
}

export interface Harness extends ServiceHarness<ProductService> {
  config: ProductConfig;
  /** the service's cache (in memory): the image upload counters */
  cache: MemoryCache;
  storage: MediaStorage;
  jwks: Jwks;
  mediaDir: string;
  actor(role: Role): Promise<Actor>;
  /** events written to the outbox, oldest first */
  outbox(type?: string): Promise<AnyEvent[]>;
}

export async function startHarness(
  label: string,
  env: Env = {},
  opts: {
    storage?: (config: ProductConfig) => Promise<MediaStorage>;
    now?: () => Date;
    /** reach the database through another address (a fault proxy); the test database's name is kept */
    dbUrl?: string;
    /** run the relay, the sweeper and the consumer (default: HTTP only) */
    workers?: boolean;
  } = {},
): Promise<Harness> {
  const jwks = await startJwks();
  const mediaDir = mkdtempSync(join(tmpdir(), `mbt-media-${label}-`));
  const cleanUp = async () => {
    await jwks.close();
    rmSync(mediaDir, { recursive: true, force: true });
  };
  let storage: MediaStorage | undefined;
  const cache = new MemoryCache('product:');
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: jwks.url,
    MEDIA_DIR: mediaDir,
    DEMO_DATA: 'false',
    ...env,
  });
  const h = await startServiceHarness({
    label,
    schema: config.DB_SCHEMA,
    migrations,
    observe: opts.workers ? ['product.*', 'inventory.*'] : [],
    dbUrl: opts.dbUrl,
    build: async ({ db, bus }) => {
      storage = await (opts.storage ? opts.storage(config) : createStorage(config));
      return buildApp({
        config,
        logger: createLogger('product', config.LOG_LEVEL),
        db,
        bus,
        cache,
        storage,
        workers: opts.workers ?? false,
        ...(opts.now ? { now: opts.now } : {}),
      });
    },
  }).catch(async (err: unknown) => {
    await storage?.close();
    await cache.close();
    await cleanUp();
    throw err;
  });
  h.onClose(async () => {
    await storage?.close();
    await cache.close();
    await cleanUp();
  });
  return {
    ...h,
    config,
    cache,
    storage: storage as MediaStorage,
    jwks,
    mediaDir,
    async actor(role) {
      const id = randomUUID();
      const token = await jwks.sign(role, id);
      return { id, token, auth: { authorization: `Bearer ${token}` } };
    },
    async outbox(type) {
      const rows = await h.db.query<{ payload: AnyEvent }>(
        `SELECT payload FROM outbox ${type ? 'WHERE type = $1' : ''} ORDER BY seq`,
        type ? [type] : [],
      );
      return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
    },
  };
}

/** A real image of the given format, with EXIF (camera and GPS) metadata to be stripped. */
export async function sampleImage(
  format: 'jpeg' | 'png' | 'webp' | 'avif' = 'jpeg',
  width = 1200,
  height = 900,
): Promise<Buffer> {
  const base = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 40 } } }).withExif({
    IFD0: { Make: 'TestCam', Model: 'Secret Model 9', Copyright: 'Someone' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
  });
  switch (format) {
    case 'png':
      return base.png().toBuffer();
    case 'webp':
      return base.webp().toBuffer();
    case 'avif':
      return base.avif({ effort: 0 }).toBuffer();
    default:
      return base.jpeg().toBuffer();
  }
}

/** A multipart/form-data body (fields, then files) as a browser's form would send it. */
export function formData(
  fields: Record<string, string>,
  files: Array<{ field: string; filename: string; body: Buffer; type?: string }>,
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----mbt${randomUUID().replace(/-/g, '')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\n` +
          `Content-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      f.body,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

let counter = 0;
/** A product body unique to this test run. */
export function productBody(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    name: `Test Lamp ${counter} ${randomUUID().slice(0, 6)}`,
    description: 'A lamp for testing',
    price: 1999,
    category: 'home-decor',
    attributes: { brand: 'Testco', color: 'blue' },
    stock: 10,
    ...overrides,
  };
}
