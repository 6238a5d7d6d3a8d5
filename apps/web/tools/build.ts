// Builds the web app when its output is missing or older than its sources: `npm start` and the
// test setup call this, so a fresh clone serves the shop without a separate build step.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const WEB_ROOT = join(import.meta.dirname, '..');
export const WEB_DIST = join(WEB_ROOT, 'dist');
const STAMP = '.build-hash';
const LOCK = join(WEB_ROOT, '.build.lock');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** A hash of every input's path and bytes (mtimes change on checkout; contents do not). */
export function sourceHash(): string {
  const h = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(join(WEB_ROOT, input))) {
      if (file.endsWith('.test.tsx') || file.endsWith('.test.ts')) continue;
      h.update(relative(WEB_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function isFresh(hash = sourceHash()): boolean {
  try {
    return (
      readFileSync(join(WEB_DIST, STAMP), 'utf8') === hash && existsSync(join(WEB_DIST, 'server', 'entry-server.js'))
    );
  } catch {
    return false;
  }
}

function vite(args: string[]): Promise<void> {
  const bin = join(WEB_ROOT, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'build', '--logLevel', 'warn', ...args], {
      cwd: WEB_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build ${args.join(' ')} exited ${code}`)),
    );
  });
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // another process builds; a lock left by a killed build is dropped after 3 minutes
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone in between: the next mkdir decides
      }
      if (Date.now() > deadline) throw new Error(`web build lock ${LOCK} held too long`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface BuildResult {
  dir: string;
  /** false when the previous build was up to date */
  built: boolean;
  ms: number;
}

/** Builds the browser bundle and the server renderer side by side (two cores), then swaps them in. */
export async function ensureWebBuild(opts: { force?: boolean } = {}): Promise<BuildResult> {
  const started = Date.now();
  if (!opts.force && isFresh()) return { dir: WEB_DIST, built: false, ms: 0 };
  return withLock(async () => {
    const hash = sourceHash();
    if (!opts.force && isFresh(hash)) return { dir: WEB_DIST, built: false, ms: Date.now() - started };
    const tmp = join(WEB_ROOT, `.dist-${process.pid}-${Date.now()}`);
    const tmpServer = `${tmp}-server`;
    try {
      await Promise.all([
        vite(['--outDir', tmp, '--emptyOutDir']),
        vite(['--ssr', 'src/entry-server.tsx', '--outDir', tmpServer, '--emptyOutDir']),
      ]);
      renameSync(tmpServer, join(tmp, 'server'));
      writeFileSync(join(tmp, STAMP), hash);
      rmSync(WEB_DIST, { recursive: true, force: true });
      renameSync(tmp, WEB_DIST);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(tmpServer, { recursive: true, force: true });
    }
    return { dir: WEB_DIST, built: true, ms: Date.now() - started };
  });
}
