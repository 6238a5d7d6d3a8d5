// Shared bench helpers: run autocannon, format a table, start the platform when none is running.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface Figures {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(
  scenario: string,
  opts: {
    url: string;
    connections: number;
    seconds: number;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    warmupSeconds?: number;
  },
): Promise<Figures> {
  const base = {
    url: opts.url,
    connections: opts.connections,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    ...(opts.body ? { body: opts.body } : {}),
  };
  if (opts.warmupSeconds) await autocannon({ ...base, duration: opts.warmupSeconds });
  return figuresOf(scenario, await autocannon({ ...base, duration: opts.seconds }));
}

/** The row of a table from an autocannon result. */
export function figuresOf(scenario: string, r: autocannon.Result): Figures {
  return {
    scenario,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export function printTable(title: string, rows: Figures[]): void {
  console.log(`\n${title}`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`);
}

export async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts `npm start` in a scratch data dir (rate limit off) unless the platform already answers. */
export async function ensurePlatform(gateway: string): Promise<{ stop: () => Promise<void>; started: boolean }> {
  if (await reachable(`${gateway}/health/live`)) return { stop: async () => {}, started: false };
  const dataDir = mkdtempSync(join(tmpdir(), 'microbazaar-bench-'));
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    // its own process group: npm runs the platform as a grandchild, which a signal to npm alone would orphan
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 180_000;
  while (!out.includes('microBazaar is up')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`platform did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        process.kill(-(child.pid as number), 'SIGTERM');
      }),
  };
}
