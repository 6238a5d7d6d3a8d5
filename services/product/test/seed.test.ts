// `npm run seed:catalog` as a user runs it: a generated catalog with categories, brands, prices, stock,
// shared generated pictures on disk and a product.created event each; a second run adds more.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPostgresDb, type Db } from '@microbazaar/kit';
import { createTestDatabase, type TestDatabase } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../src/seed/categories.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let database: TestDatabase;
let db: Db;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase('seed');
  db = createPostgresDb({ url: database.url, schema: 'product' });
  dataDir = mkdtempSync(join(tmpdir(), 'mbt-seed-'));
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const seed = (...args: string[]) =>
  run('npx', ['tsx', 'scripts/seed-catalog.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  });

describe('seed:catalog', () => {
  it('adds a realistic catalog with pictures and events, and adds more on a second run', async () => {
    const first = await seed('--products', '300', '--pool', '4');
    expect(first.stdout).toMatch(/seeded 300 products in [\d.]+ s/);

    const [summary] = await db.query<{
      products: number;
      categories: number;
      brands: number;
      priced: number;
      stocked: number;
      pictured: number;
      events: number;
    }>(
      `SELECT (SELECT count(*)::int FROM products) AS products,
              (SELECT count(DISTINCT category)::int FROM products) AS categories,
              (SELECT count(DISTINCT attributes->>'brand')::int FROM products) AS brands,
              (SELECT count(*)::int FROM products WHERE price_amount > 0 AND currency = 'USD') AS priced,
              (SELECT count(*)::int FROM stock) AS stocked,
              (SELECT count(*)::int FROM products WHERE jsonb_array_length(images) = 1) AS pictured,
              (SELECT count(*)::int FROM outbox WHERE type = 'product.created') AS events`,
    );
    expect(summary).toEqual({
      products: 300,
      categories: CATEGORIES.length,
      brands: expect.any(Number),
      priced: 300,
      stocked: 300,
      pictured: 300,
      events: 300,
    });
    expect(summary?.brands).toBeGreaterThan(30);

    // four pictures shared by all, their renditions on disk
    const keys = await db.query<{ key: string }>('SELECT DISTINCT original_key AS key FROM product_images');
    expect(keys).toHaveLength(4);
    for (const { key } of keys) expect(existsSync(join(dataDir, 'media', key))).toBe(true);

    const second = await seed('--products', '50', '--no-events', '--no-pictures');
    expect(second.stdout).toContain('catalog now 350');
    const [after] = await db.query<{ n: number; slugs: number; events: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT slug)::int AS slugs,
              (SELECT count(*)::int FROM outbox) AS events FROM products`,
    );
    expect(after).toEqual({ n: 350, slugs: 350, events: 300 });
  }, 120_000);

  it('refuses a bad option', async () => {
    await expect(seed('--products', 'many')).rejects.toMatchObject({
      stderr: expect.stringContaining('--products must be a whole number'),
    });
  });
});
