// Demo data is opt-in (issue 14 item 5): `npm start` (the try-it-out mode) passes --demo; `npm run start:prod`,
// `npm run start:<service>` and the images run the same entry points without it, so they create no demo accounts,
// no demo catalog and no dev mailbox unless DEMO_DATA=true, even without NODE_ENV.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@microbazaar/kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

describe('which commands create demo data', () => {
  it('npm start passes --demo; start:prod and start:<service> do not, nor set DEMO_DATA', () => {
    expect(scripts.start).toMatch(/apps\/platform\/src\/main\.ts --demo$/);
    const others = Object.entries(scripts).filter(([name]) => name.startsWith('start:'));
    expect(others.map(([name]) => name)).toContain('start:prod');
    for (const [name, command] of others) {
      expect(command, name).not.toMatch(/--demo|DEMO_DATA/);
    }
  });
});

describe('the platform started as start:prod runs it (no --demo), without NODE_ENV', () => {
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'microbazaar-nodemo-'));
  afterAll(async () => {
    // tsx runs the platform as its own child: stop the whole process group, or the platform outlives the test
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      process.kill(-child.pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 30_000, false))]);
      if (!stopped) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('creates no demo account, no demo catalog and serves no dev mailbox', async () => {
    const names = ['GATEWAY', 'AUTH', 'PRODUCT', 'CART', 'ORDER', 'PAYMENT', 'NOTIFICATION', 'ASSISTANT'];
    const ports = await Promise.all(names.map(() => freePort()));
    const gateway = `http://127.0.0.1:${ports[0]}`;
    // the entry point of start:prod from its source (the bundle is the same code), no NODE_ENV, no DEMO_DATA
    child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['apps/platform/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: dataDir,
        WEB_DIR: 'off',
        LOG_LEVEL: 'warn',
        ...Object.fromEntries(names.map((n, i) => [`${n}_PORT`, String(ports[i])])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 150_000;
    while (!output.includes('microBazaar is up')) {
      if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the platform did not come up in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).not.toContain('admin@microbazaar.local');
    expect(output).not.toContain('seller@microbazaar.local');
    expect(output).not.toContain('demo catalog');
    const login = await fetch(`${gateway}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@microbazaar.local', password: 'admin12345' }),
    });
    expect(login.status).toBe(401);
    const products = (await (await fetch(`${gateway}/api/products`)).json()) as { items: unknown[] };
    expect(products.items).toEqual([]);
    // the dev mailbox (where an admin would read every reset link) is not there at all
    const doc = (await (await fetch(`${gateway}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/notifications/preferences');
    expect(Object.keys(doc.paths)).not.toContain('/api/notifications/dev/mail');
  }, 180_000);
});
