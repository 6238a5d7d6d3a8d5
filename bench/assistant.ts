// `npm run bench:assistant`: the shopping assistant at 10 000 products, distributed (auth, product,
// assistant and gateway each in its own process on PostgreSQL and RabbitMQ; the load generator here):
//   backfill: the assistant's first start reads the generated catalog from the product API and embeds
//             it (products/s, texts embedded/s, total time); then the process's RSS
//   freshness: a product created, then repriced, through the gateway, until the assistant's search shows
//             it (ms, several times)
//   load through the gateway, 50 connections after a warm-up: (a) search rotating over 100 plain-words
//   queries (their vectors and results are cached after the first round), (b) search with every query new
//   (each pays the embedding model), (c) chat, offline, as guests (a conversation stored per message)
// Env: BENCH_DATABASE_URL (an admin URL; a scratch database is created and dropped), BENCH_PRODUCTS (10000),
// BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (3), BENCH_EMBED_WORKERS (the assistant's, default 2: one per core),
// BENCH_ONLY (letters of the load scenarios, default abc), BENCH_KEEP=1 keeps the database,
// DATABASE_*_MS and DATABASE_POOL_MAX (passed to every service: the pool and the kit's outage detection, e.g. DATABASE_CONNECT_TIMEOUT_MS=5000 when
// the machine is too loaded for PostgreSQL to answer its probe within the default 1 s),
// BENCH_BACKFILL_TIMEOUT_S (1800: on a loaded shared machine the backfill's wall time says little; its CPU time is printed).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDb } from '@microbazaar/kit';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { freePort } from '@microbazaar/kit/testing';
import { createStorage } from '@microbazaar/product/adapters/storage';
import { migrations } from '@microbazaar/product/app';
import { loadConfig } from '@microbazaar/product/config';
import { seedCatalog } from '@microbazaar/product/seed/catalog';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { INTENT_CASES, SEARCH_CASES } from '../services/assistant/eval/cases.js';

const ROOT = join(import.meta.dirname, '..');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RABBITMQ_URL = process.env.BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const EMBED_WORKERS = process.env.BENCH_EMBED_WORKERS ?? '2';
const ONLY = new Set((process.env.BENCH_ONLY ?? 'abc').toLowerCase().split(''));
const BACKFILL_TIMEOUT_MS = Number(process.env.BENCH_BACKFILL_TIMEOUT_S ?? 1800) * 1000;
const CONNECTIONS = 50;
const SELLER = '00000000-0000-4000-8000-00000000be4c';

interface Service {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** CPU seconds (user + system, every thread) of a process, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
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

async function start(name: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // the kit's outage detection, tunable for a run on a machine too loaded to answer its probes in time
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^DATABASE_(\w+_MS|POOL_MAX)$/.test(k))),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-200_000);
  });
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-200_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not get ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name,
    url,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function indexed(assistant: string): Promise<number> {
  const metrics = await (await fetch(`${assistant}/metrics`)).text();
  return Number(/^assistant_catalog_products(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** How long until the assistant's search shows what `check` looks for, polled every 10 ms. */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not searchable within ${timeoutMs} ms`);
}

const COLORS = ['red', 'blue', 'black', 'white', 'green', 'grey', 'navy', 'pink', 'teal', 'orange', 'brown', 'beige'];
const THINGS = [
  'running shoes',
  'headphones',
  'keyboard',
  'mug',
  'backpack',
  'tent',
  'yoga mat',
  'kettle',
  'jacket',
  'socks',
  'lamp',
  'cushion',
  'notebook',
  'dog bowl',
  'puzzle',
  'flask',
  'speaker',
  'wallet',
  'grinder',
  'helmet',
];

/** Distinct plain-words queries, none repeated within a run: every one pays the embedding model. */
function freshQueries(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const color = COLORS[i % COLORS.length] as string;
    const thing = THINGS[Math.floor(i / COLORS.length) % THINGS.length] as string;
    const price = 20 + (Math.floor(i / (COLORS.length * THINGS.length)) % 400);
    out.push(`${color} ${thing} under $${price}`);
  }
  return out;
}

interface Row {
  scenario: string;
  /** CPU ms of the assistant process per request over the measured window */
  cpuMs: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** non-2xx answers by status */
  statuses: string;
}

async function load(
  scenario: string,
  url: string,
  requests: Array<{ method: 'GET' | 'POST'; path: string; body?: string }>,
  pid: number | undefined,
): Promise<Row> {
  let next = 0;
  const options = {
    url,
    connections: CONNECTIONS,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => {
          const r = requests[next++ % requests.length] as (typeof requests)[number];
          return {
            ...req,
            method: r.method,
            path: r.path,
            ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
          };
        },
      },
    ],
  };
  if (WARMUP_SECONDS) await autocannon({ ...options, duration: WARMUP_SECONDS });
  const cpuBefore = cpuSeconds(pid);
  const r = await autocannon({ ...options, duration: SECONDS });
  const cpu = cpuSeconds(pid) - cpuBefore;
  return {
    scenario: `${scenario} (load average ${loadavg()[0]?.toFixed(1)})`,
    cpuMs: r.requests.total ? Math.round(((cpu * 1000) / r.requests.total) * 100) / 100 : 0,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statuses: Object.entries(
      (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
    )
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, s]) => `${code}×${s.count}`)
      .join(' '),
  };
}

async function main(): Promise<void> {
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores, shared)`,
  );
  const dbName = `mb_bench_assistant_${randomBytes(3).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const mediaDir = mkdtempSync(join(tmpdir(), 'mb-bench-assistant-'));
  const busPrefix = testPrefix('benchassistant');
  const common = { DATABASE_URL: databaseUrl, RABBITMQ_URL, BUS_PREFIX: busPrefix, NODE_ENV: 'production' };
  const services: Service[] = [];
  try {
    // the catalog, seeded straight into the product schema (no events: the assistant backfills it)
    const productConfig = loadConfig({
      DATABASE_URL: databaseUrl,
      DATA_DIR: mediaDir,
      MEDIA_DIR: mediaDir,
      NODE_ENV: 'production',
    });
    const db = createPostgresDb({ url: databaseUrl, schema: productConfig.DB_SCHEMA });
    await migrations.apply(db);
    const seeded = await seedCatalog({
      db,
      storage: await createStorage(productConfig),
      sellerId: SELLER,
      count: PRODUCTS,
      pictures: 'pool',
      events: false,
      images: {
        maxPixels: productConfig.IMAGE_MAX_PIXELS,
        thumbnailSize: productConfig.THUMBNAIL_SIZE,
        mediumSize: productConfig.MEDIUM_SIZE,
      },
    });
    await db.close();
    console.log(`seeded ${seeded.products} products in ${(seeded.ms / 1000).toFixed(1)} s`);

    const auth = await start('auth', {
      ...common,
      NODE_ENV: 'development',
      DEMO_DATA: 'true',
      JWT_KEY_ENCRYPTION_SECRET: 'bench-only-not-a-secret-0123456789',
    });
    services.push(auth);
    const jwks = { AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` };
    const product = await start('product', {
      ...common,
      ...jwks,
      DATA_DIR: mediaDir,
      MEDIA_DIR: mediaDir,
      DEMO_DATA: 'false',
    });
    services.push(product);

    const assistantStarted = performance.now();
    let assistantPid: number | undefined;
    const assistant = await start('assistant', {
      ...common,
      ...jwks,
      LOG_LEVEL: 'info',
      PRODUCT_URL: product.url,
      ASSISTANT_EMBED_WORKERS: EMBED_WORKERS,
      ASSISTANT_CHAT_RATE_LIMIT: '0',
      ASSISTANT_INDEX_SWEEP_MS: '1000',
    });
    services.push(assistant);
    assistantPid = assistant.child.pid;
    const readyMs = performance.now() - assistantStarted;
    let lastReport = performance.now();
    for (;;) {
      const count = await indexed(assistant.url);
      if (count >= PRODUCTS) break;
      const elapsed = performance.now() - assistantStarted;
      if (elapsed > BACKFILL_TIMEOUT_MS) {
        throw new Error(`backfill did not finish in ${BACKFILL_TIMEOUT_MS / 1000} s (${count} products indexed)`);
      }
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        console.log(
          `  backfill: ${count} products searchable after ${(elapsed / 1000).toFixed(0)} s, ${cpuSeconds(assistantPid).toFixed(1)} s of the assistant's CPU; load average ${loadavg()[0]?.toFixed(1)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const indexedMs = performance.now() - assistantStarted;
    const backfillCpu = cpuSeconds(assistantPid);
    const done = assistant
      .output()
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l) as { msg?: string; products?: number; embedded?: number; ms?: number };
        } catch {
          return {};
        }
      })
      .find((l) => l.msg === 'catalog backfill done');
    const backfill = {
      products: done?.products ?? PRODUCTS,
      embedded: done?.embedded ?? 0,
      ms: done?.ms ?? Math.round(indexedMs),
    };
    const rssAfterBackfill = rssMb(assistant.child.pid);

    const gateway = await start('gateway', {
      ...jwks,
      NODE_ENV: 'production',
      AUTH_URL: auth.url,
      PRODUCT_URL: product.url,
      ASSISTANT_URL: assistant.url,
      CART_URL: 'off',
      ORDER_URL: 'off',
      PAYMENT_URL: 'off',
      NOTIFICATION_URL: 'off',
      WEB_DIR: 'off',
      RATE_LIMIT_PER_MINUTE: '0',
      CORS_ORIGINS: 'http://localhost:8080',
    });
    services.push(gateway);

    // freshness: create and reprice through the gateway, until the assistant's search shows it
    const login = await json<{ token: string }>(`${gateway.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'seller@microbazaar.local', password: 'seller12345' }),
    });
    const asSeller = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };
    const created: number[] = [];
    const repriced: number[] = [];
    for (let i = 0; i < 5; i++) {
      const word = `zephyrine${randomBytes(3).toString('hex').replace(/\d/g, 'q')}`;
      const p = await json<{ id: string }>(`${gateway.url}/api/products`, {
        method: 'POST',
        headers: asSeller,
        body: JSON.stringify({
          name: `${word} travel mug`,
          price: 2500,
          category: 'drinkware',
          attributes: { color: 'teal', material: 'stainless steel', insulated: true },
          stock: 5,
        }),
      });
      const search = () =>
        json<{ items: Array<{ id: string; price: { amount: number } }> }>(
          `${gateway.url}/api/assistant/search?q=${word}&limit=3`,
        );
      created.push(await until(async () => (await search()).items.some((x) => x.id === p.id)));
      await json(`${gateway.url}/api/products/${p.id}`, {
        method: 'PATCH',
        headers: asSeller,
        body: JSON.stringify({ price: 1900 }),
      });
      repriced.push(
        await until(async () => (await search()).items.some((x) => x.id === p.id && x.price.amount === 1900)),
      );
    }

    const rows: Row[] = [];
    const searchPath = (q: string) => `/api/assistant/search?q=${encodeURIComponent(q)}&limit=10`;
    const rotating = [...SEARCH_CASES.map((c) => c.q), ...freshQueries(45)].map((q) => ({
      method: 'GET' as const,
      path: searchPath(q),
    }));
    if (ONLY.has('a')) {
      // a first round puts every query's vector and answer in the caches, as real traffic repeats queries
      for (const r of rotating) await fetch(`${gateway.url}${r.path}`).then((res) => res.arrayBuffer());
      rows.push(await load('(a) search, 100 queries in rotation', gateway.url, rotating, assistantPid));
    }
    if (ONLY.has('b')) {
      const fresh = freshQueries(200_000)
        .slice(45)
        .map((q) => ({ method: 'GET' as const, path: searchPath(q) }));
      rows.push(await load('(b) search, every query new', gateway.url, fresh, assistantPid));
    }
    if (ONLY.has('c')) {
      const messages = [...INTENT_CASES.map((c) => c.message), ...SEARCH_CASES.map((c) => c.q)];
      const chats = messages.map((message) => ({
        method: 'POST' as const,
        path: '/api/assistant/chat',
        body: JSON.stringify({ message }),
      }));
      rows.push(await load('(c) chat, offline, guests', gateway.url, chats, assistantPid));
    }

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `\nbackfill of ${backfill.products} products: ${(backfill.ms / 1000).toFixed(1)} s (${Math.round((backfill.products / backfill.ms) * 1000)} products/s); ${backfill.embedded} distinct texts embedded (${Math.round((backfill.embedded / backfill.ms) * 1000)}/s), the rest shared a vector; ASSISTANT_EMBED_WORKERS=${EMBED_WORKERS}`,
    );
    console.log(
      `assistant start to ready ${(readyMs / 1000).toFixed(1)} s, to the whole catalog searchable ${(indexedMs / 1000).toFixed(1)} s, using ${backfillCpu.toFixed(1)} s of CPU (all its threads, model load included): ${((backfillCpu * 1000) / backfill.products).toFixed(1)} ms per product`,
    );
    console.log(
      `freshness through the gateway: created → searchable median ${median(created)} ms (max ${Math.max(...created)}), repriced → shown median ${median(repriced)} ms (max ${Math.max(...repriced)})`,
    );
    console.log(
      `\n| scenario (through the gateway, ${CONNECTIONS} conns, ${SECONDS} s) | req/s | p50 ms | p99 ms | assistant CPU ms/req | errors | non-2xx |`,
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      console.log(
        `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.cpuMs} | ${r.errors} | ${r.non2xx}${r.statuses ? ` (${r.statuses})` : ''} |`,
      );
    }
    console.log(
      `\nRSS: assistant ${rssAfterBackfill} MB after the backfill, ${rssMb(assistant.child.pid)} MB at the end (model workers included); gateway ${rssMb(gateway.child.pid)} MB; product ${rssMb(product.child.pid)} MB`,
    );
    // what the services said went wrong, when something did (each distinct message once, with its count)
    if (rows.some((r) => r.non2xx || r.errors)) {
      for (const s of [assistant, gateway]) {
        const seen = new Map<string, number>();
        for (const line of s.output().split('\n')) {
          try {
            const l = JSON.parse(line) as { level?: number; msg?: string; err?: unknown; code?: string };
            if ((l.level ?? 0) < 40) continue;
            const key =
              `${l.msg ?? ''} ${l.code ?? ''} ${typeof l.err === 'string' ? l.err : JSON.stringify(l.err ?? '')}`.slice(
                0,
                300,
              );
            seen.set(key, (seen.get(key) ?? 0) + 1);
          } catch {
            // not a log line
          }
        }
        for (const [what, n] of [...seen].sort((a, b) => b[1] - a[1]).slice(0, 5))
          console.log(`  ${s.name} ×${n}: ${what}`);
      }
    }
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const s of services.reverse()) await s.stop();
    rmSync(mediaDir, { recursive: true, force: true });
    await deleteQueues(busPrefix).catch((err: unknown) => console.error('could not delete the bench queues:', err));
    if (process.env.BENCH_KEEP !== '1') await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Deletes what the services declared on the broker under the bench's prefix. */
async function deleteQueues(prefix: string): Promise<void> {
  const { QUEUES } = await import('@microbazaar/contracts');
  const { RabbitBus } = await import('@microbazaar/kit');
  const bus = new RabbitBus({ url: RABBITMQ_URL, prefix, name: 'bench-assistant-cleanup' });
  try {
    await bus.deleteTopology(Object.values(QUEUES));
  } finally {
    await bus.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
