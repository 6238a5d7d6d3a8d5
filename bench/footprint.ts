// `npm run bench:footprint`: memory (RSS when idle) and start time of every service run alone on the real
// backends, and of the all-in-one platform on a first start and after a restart, from the TypeScript source
// (tsx, as `npm start` / `npm run start:<name>` run them) and from the build (`npm run build`), with the node
// flags of the images and `npm run start:prod` (RUNTIME_NODE_FLAGS) and without them.
// Prints one markdown table. The services run with NODE_ENV=production (as in their images), no demo data.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { createTestDatabase, TEST_RABBITMQ_URL, TEST_REDIS_URL, uniquePrefix } from '@microbazaar/kit/testing';
import { presentServices, ROOT, RUNTIME_NODE_FLAGS } from '../deploy/services.js';
import { deleteBusTopology, freePort } from '../test/e2e/stack.js';

/** source: tsx; build: the bundles as the images run them (RUNTIME_NODE_FLAGS); plain: `node dist/main.js` */
type From = 'source' | 'build' | 'plain';
type Env = Record<string, string | undefined>;

interface Sample {
  /** resident set of the process and its children, MiB, median of three reads once idle */
  rss: number;
  /** the highest resident set the main node process reached (VmHWM), MiB */
  peak: number;
  /** from spawn to the first 200 of /health/ready, seconds */
  start: number;
}

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: 'source,plain,build' },
    only: { type: 'string', default: 'services,platform' },
    'idle-seconds': { type: 'string', default: '5' },
  },
});
const froms = values.from.split(',') as From[];
const only = new Set(values.only.split(','));
const idleMs = Number(values['idle-seconds']) * 1000;

const mib = (kib: number) => Math.round(kib / 1024);

function statusField(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number.parseInt(line.split(/\s+/)[1] ?? '0', 10) : 0;
  } catch {
    return 0;
  }
}

/** The pid and every descendant (tsx's CLI runs the program in a child node process). */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(parents.get(all[i]!) ?? []));
  return all;
}

const treeRss = (pid: number) => processTree(pid).reduce((sum, p) => sum + statusField(p, 'VmRSS'), 0);
const treePeak = (pid: number) => Math.max(...processTree(pid).map((p) => statusField(p, 'VmHWM')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function idleSample(pid: number, started: number, ready: number): Promise<Sample> {
  await sleep(idleMs);
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) {
    reads.push(treeRss(pid));
    await sleep(1000);
  }
  reads.sort((a, b) => a - b);
  return { rss: mib(reads[1]!), peak: mib(treePeak(pid)), start: (ready - started) / 1000 };
}

class Proc {
  child: ChildProcess;
  output = '';
  readonly started = Date.now();
  constructor(
    readonly label: string,
    command: string[],
    env: Env,
  ) {
    this.child = spawn(command[0]!, command.slice(1), {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls /health/ready every 50 ms; resolves with the time of the first 200. */
  async ready(url: string, timeoutMs = 180_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.label} exited:\n${this.output}`);
      const ok = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return Date.now();
      await sleep(50);
    }
    throw new Error(`${this.label} not ready in ${timeoutMs} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

const command = (from: From, file: 'service' | 'platform', name = 'platform'): string[] => {
  const dir = file === 'platform' ? 'apps/platform' : `services/${name}`;
  // the platform as `npm start` runs it: demo data on its first start (as the figures in the README were taken)
  const demo = file === 'platform' ? ['--demo'] : [];
  if (from === 'source') return [join(ROOT, 'node_modules/.bin/tsx'), `${dir}/src/main.ts`, ...demo];
  return [process.execPath, ...(from === 'build' ? RUNTIME_NODE_FLAGS : []), `${dir}/dist/main.js`, ...demo];
};

/** Every service present in deploy/services.json alone on PostgreSQL, Redis and RabbitMQ, auth first. */
async function measureServices(from: From): Promise<Map<string, Sample>> {
  const services = presentServices();
  const database = await createTestDatabase('footprint');
  const busPrefix = testPrefix('footprint');
  const ports = new Map<string, number>();
  for (const s of services) ports.set(s.name, await freePort());
  const url = (name: string) => `http://127.0.0.1:${ports.get(name) ?? 1}`;
  const common: Env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    RABBITMQ_URL: TEST_RABBITMQ_URL,
    BUS_PREFIX: busPrefix,
    DEMO_DATA: 'false',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'mb-footprint-')),
    ADMIN_PASSWORD: `footprint-${Date.now()}`,
    // what production insists on (nothing is mailed or charged here)
    SMTP_URL: 'smtp://127.0.0.1:2525',
    JWT_KEY_ENCRYPTION_SECRET: 'footprint-bench-signing-key-secret',
    CART_ID_SECRET: 'footprint-bench-cart-id-secret-of-32-chars',
    PAYMENT_PROVIDER: 'sandbox',
    ALLOW_SANDBOX_PAYMENTS: 'true',
    CART_KEY_PREFIX: uniquePrefix('footprint-cart'),
    LIVE_CHANNEL: uniquePrefix('footprint-live'),
    AUTH_JWKS_URL: `${url('auth')}/.well-known/jwks.json`,
    ...Object.fromEntries(services.map((s) => [`${s.name.toUpperCase()}_URL`, url(s.name)])),
  };
  const running: Array<{ name: string; proc: Proc; ready: number }> = [];
  try {
    // one at a time, so each start time is the service's own
    for (const s of [...services].sort((a, b) => Number(b.name === 'auth') - Number(a.name === 'auth'))) {
      const proc = new Proc(s.name, command(from, 'service', s.name), { ...common, PORT: String(ports.get(s.name)) });
      running.push({ name: s.name, proc, ready: await proc.ready(url(s.name)) });
    }
    const samples = new Map<string, Sample>();
    // idle together: each sampled after the others are up
    for (const r of running) samples.set(r.name, await idleSample(r.proc.child.pid!, r.proc.started, r.ready));
    return samples;
  } finally {
    await Promise.all(running.map((r) => r.proc.stop()));
    await deleteBusTopology(busPrefix, [common]).catch((err) => console.error(`bus cleanup: ${err.message}`));
    await database.drop().catch(() => {});
    rmSync(common.DATA_DIR!, { recursive: true, force: true });
  }
}

/** `npm start` (or start:prod) on a fresh data folder, stopped, then started again on it. */
async function measurePlatform(from: From): Promise<{ first: Sample; restart: Sample }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mb-footprint-platform-'));
  const names = ['gateway', ...presentServices().map((s) => s.name)];
  const env: Env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  for (const name of new Set(names)) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
  const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  const once = async (label: string): Promise<Sample> => {
    const proc = new Proc(label, command(from, 'platform'), env);
    try {
      const ready = await proc.ready(gateway);
      return await idleSample(proc.child.pid!, proc.started, ready);
    } finally {
      await proc.stop();
    }
  };
  try {
    const first = await once('platform, first start');
    const restart = await once('platform, restart');
    return { first, restart };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = new Map<From, { services?: Map<string, Sample>; platform?: { first: Sample; restart: Sample } }>();
if (froms.includes('build') || froms.includes('plain')) {
  console.log('npm run build ...');
  execFileSync('npm', ['run', 'build', '--silent', '--', '--skip-web'], { cwd: ROOT, stdio: 'inherit' });
}
for (const from of froms) {
  const r: { services?: Map<string, Sample>; platform?: { first: Sample; restart: Sample } } = {};
  if (only.has('services')) {
    console.log(`services from ${from} ...`);
    r.services = await measureServices(from);
  }
  if (only.has('platform')) {
    console.log(`all-in-one from ${from} ...`);
    r.platform = await measurePlatform(from);
  }
  results.set(from, r);
}

const cell = (s: Sample | undefined) => (s ? `${s.rss} MiB · ${s.start.toFixed(1)} s (peak ${s.peak})` : '—');
console.log(
  `\n| process | ${froms.map((f) => `from ${f}: RSS idle · start (peak)`).join(' | ')} |\n| --- |${froms.map(() => ' ---: |').join('')}`,
);
const rows: Array<[string, (f: From) => Sample | undefined]> = [
  ['all-in-one, first start', (f) => results.get(f)?.platform?.first],
  ['all-in-one, after a restart', (f) => results.get(f)?.platform?.restart],
  ...presentServices().map(
    (s) => [s.name, (f: From) => results.get(f)?.services?.get(s.name)] as [string, (f: From) => Sample | undefined],
  ),
];
for (const [label, get] of rows) {
  if (froms.every((f) => !get(f))) continue;
  console.log(`| ${label} | ${froms.map((f) => cell(get(f))).join(' | ')} |`);
}
console.log(`\nnode ${process.version}, ${idleMs / 1000} s idle before sampling`);
