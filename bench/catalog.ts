// `npm run bench:catalog`: the catalog scenarios of the common peer benchmark, against the product service
// on PostgreSQL, directly and through the gateway, each in its own process (the load generator here):
//   (a) list 20 products with price and stock   (b) one product by slug, rotating over 1 000 slugs
//   (c) search q=ergonomic, limit 20 — at 10 000 products, then again at 100 000
// and what the search cache hides, on a second product process with SEARCH_CACHE_TTL_MS=0 (direct only):
//   (c) q=ergonomic uncached   (d) 500 distinct realistic searches in rotation (phrases, single words, brands,
//   typos, a few that match nothing)   (e) 500 distinct two-word searches that match nothing at all
// 50 connections after a warm-up, plus 1 connection; prints req/s, p50, p99 and each process's RSS.
// Env: BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped), BENCH_SECONDS (15),
// BENCH_SINGLE_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_LARGE (100000; 0 skips), BENCH_KEEP=1 keeps the
// database, BENCH_ONLY (letters of the scenarios to run, e.g. `cde`; default all), BENCH_GATEWAY=0 direct only.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDb } from '@microbazaar/kit';
import { freePort } from '@microbazaar/kit/testing';
import { createStorage } from '@microbazaar/product/adapters/storage';
import { migrations } from '@microbazaar/product/app';
import { loadConfig } from '@microbazaar/product/config';
import { productCount, seedCatalog } from '@microbazaar/product/seed/catalog';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { absentQueries, realisticQueries } from './searches.js';

const ROOT = join(import.meta.dirname, '..');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SINGLE_SECONDS = Number(process.env.BENCH_SINGLE_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
const SMALL = 10_000;
const SELLER = '00000000-0000-4000-8000-00000000be4c';
const ONLY = new Set((process.env.BENCH_ONLY ?? 'abcde').toLowerCase().split(''));
const GATEWAY = process.env.BENCH_GATEWAY !== '0';
const QUERIES = 500;

const searchPath = (q: string) => `/api/products?q=${encodeURIComponent(q)}&limit=20`;

interface Row {
  scenario: string;
  via: string;
  conns: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  productRss: number;
  gatewayRss: number | undefined;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Math.round(Number(kb) / 1024);
  } catch {
    return 0;
  }
}

async function waitReady(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not get ready at ${url}`);
}

/** A service in its own Node process, as in production (`npm run start:<name>`). */
async function startService(name: string, entry: string, env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, name);
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function run(
  url: string,
  paths: readonly string[],
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] as string }),
      },
    ],
  });
}

async function main(): Promise<void> {
  const dbName = `mb_bench_catalog_${randomBytes(3).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const mediaDir = mkdtempSync(join(tmpdir(), 'mb-bench-media-'));
  const env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: mediaDir,
    MEDIA_DIR: mediaDir,
    DEMO_DATA: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const config = loadConfig({ ...env, NODE_ENV: 'production' });
  const db = createPostgresDb({ url: databaseUrl, schema: config.DB_SCHEMA });
  const storage = await createStorage(config);
  const services: Array<{ stop: () => Promise<void> }> = [];
  const rows: Row[] = [];
  const started = Date.now();
  try {
    await migrations.apply(db);
    const seed = async (total: number) => {
      const from = await productCount(db);
      const result = await seedCatalog({
        db,
        storage,
        sellerId: SELLER,
        count: total - from,
        from,
        pictures: 'pool',
        events: false,
        images: {
          maxPixels: config.IMAGE_MAX_PIXELS,
          thumbnailSize: config.THUMBNAIL_SIZE,
          mediumSize: config.MEDIUM_SIZE,
        },
      });
      console.log(`seeded ${result.products} products in ${(result.ms / 1000).toFixed(1)} s (catalog: ${total})`);
    };
    await seed(SMALL);

    const product = await startService('product', 'services/product/src/main.ts', env);
    services.push(product);
    // the same service without its search cache: every search pays the database
    const uncached = await startService('product', 'services/product/src/main.ts', {
      ...env,
      SEARCH_CACHE_TTL_MS: '0',
    });
    services.push(uncached);
    const gateway = GATEWAY
      ? await startService('gateway', 'services/gateway/src/main.ts', { ...env, PRODUCT_URL: product.url })
      : undefined;
    if (gateway) services.push(gateway);

    const slugs: string[] = [];
    for (let cursor: string | null = null; slugs.length < 1000; ) {
      const res = await fetch(`${product.url}/api/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { items: Array<{ slug: string }>; nextCursor: string | null };
      slugs.push(...page.items.map((p) => p.slug));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const realistic = realisticQueries(QUERIES).map(searchPath);
    const absent = absentQueries(QUERIES).map(searchPath);
    const cached: Array<[string, string, string[]]> = [
      ['a', '(a) list 20 with price and stock', ['/api/products?limit=20']],
      ['b', '(b) product by slug, 1 000 slugs', slugs.slice(0, 1000).map((s) => `/api/products/${s}`)],
      ['c', '(c) search q=ergonomic limit 20', [searchPath('ergonomic')]],
    ];
    const withoutCache: Array<[string, string, string[]]> = [
      ['c', '(c) search q=ergonomic, search cache off', [searchPath('ergonomic')]],
      ['d', `(d) ${QUERIES} rotating realistic searches, cache off`, realistic],
      ['e', `(e) ${QUERIES} rotating two-word searches matching nothing, cache off`, absent],
    ];
    const targets = () => [
      { via: 'direct', url: product.url },
      ...(gateway ? [{ via: 'gateway', url: gateway.url }] : []),
    ];

    const measure = async (
      label: string,
      paths: string[],
      via: string,
      target: string,
      service: { child: ChildProcess } = product,
    ) => {
      if (WARMUP_SECONDS > 0) await run(target, paths, 50, WARMUP_SECONDS);
      for (const [conns, seconds] of [
        [50, SECONDS],
        [1, SINGLE_SECONDS],
      ] as const) {
        const r = await run(target, paths, conns, seconds);
        const row: Row = {
          scenario: label,
          via,
          conns,
          rps: Math.round(r.requests.average),
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
          productRss: rssMb(service.child.pid),
          gatewayRss: via === 'gateway' && gateway ? rssMb(gateway.child.pid) : undefined,
        };
        rows.push(row);
        console.log(
          `${label} ${via} ${conns} conn(s): ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, RSS ${row.productRss} MB`,
        );
      }
    };

    /** How many of the rotating searches find nothing (the fallbacks' worst case), once, before measuring. */
    const describeQueries = async (size: string) => {
      for (const [letter, name, paths] of [
        ['d', 'realistic', realistic],
        ['e', 'matching nothing', absent],
      ] as const) {
        if (!ONLY.has(letter)) continue;
        let empty = 0;
        for (const path of paths) {
          const page = (await (await fetch(`${uncached.url}${path}`)).json()) as { items: unknown[] };
          if (page.items.length === 0) empty++;
        }
        console.log(`(${letter}) ${paths.length} ${name} searches @${size}: ${empty} find nothing`);
      }
    };

    const measureUncached = async (size: string, letters: string) => {
      await describeQueries(size);
      for (const [letter, label, paths] of withoutCache) {
        if (ONLY.has(letter) && letters.includes(letter)) {
          await measure(`${label} @${size}`, paths, 'direct', uncached.url, uncached);
        }
      }
    };

    for (const [letter, label, paths] of cached) {
      if (ONLY.has(letter)) for (const t of targets()) await measure(`${label} @10k`, paths, t.via, t.url);
    }
    await measureUncached('10k', 'cde');

    if (LARGE > SMALL) {
      await seed(LARGE);
      const size = `${LARGE / 1000}k`;
      const [letter, label, paths] = cached[2] as [string, string, string[]];
      if (ONLY.has(letter)) for (const t of targets()) await measure(`${label} @${size}`, paths, t.via, t.url);
      await measureUncached(size, 'cde');
    }
  } finally {
    for (const s of services.reverse()) await s.stop();
    await storage.close();
    await db.close();
    if (process.env.BENCH_KEEP !== '1') await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    rmSync(mediaDir, { recursive: true, force: true });
  }

  console.log(
    `\ncatalog benchmark (${SECONDS} s at 50 connections after ${WARMUP_SECONDS} s warm-up, ${SINGLE_SECONDS} s at 1; ${Math.round((Date.now() - started) / 1000)} s in all)`,
  );
  console.log(
    '| scenario | via | conns | req/s | p50 ms | p99 ms | errors | non-2xx | product RSS MB | gateway RSS MB |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.via} | ${r.conns} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.productRss} | ${r.gatewayRss ?? ''} |`,
    );
  }
}

await main();
