// Browser tests against `npm start`: one platform per test file on free ports and a fresh data dir,
// Debian's Chromium driven by playwright-core (no browser download), pages found by role and name.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@microbazaar/kit/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const INSTALL_HINT = 'apt-get install -y chromium';

/** The flags this sandbox needs (no GPU, no sandbox as root, no calls home). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the browser tests need it. Install it with: ${INSTALL_HINT}`);
  }
}

export interface Shop {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const SERVICES = ['GATEWAY', 'AUTH', 'PRODUCT', 'CART', 'ORDER', 'PAYMENT', 'NOTIFICATION', 'ASSISTANT'];

/** `npm start` as a new user runs it (the exact command, without npm in between), on a fresh data dir. */
export async function startShop(extraEnv: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<Shop> {
  const ports = await Promise.all(SERVICES.map(() => freePort()));
  // a data dir of the caller's is kept; a fresh one is removed on stop
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'microbazaar-web-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    ...Object.fromEntries(SERVICES.map((n, i) => [`${n}_PORT`, String(ports[i])])),
    ...extraEnv,
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [bin, ...args] = pkg.scripts.start.split(' ');
  const child: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', bin!), args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 170_000;
  while (!output.includes('microBazaar is up')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!output.includes('web app')) throw new Error(`the banner does not mention the web app:\n${output}`);
  return {
    // localhost, as the banner prints and the CORS default allows
    url: `http://localhost:${ports[0]}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  assertChromium();
  // playwright gives every launch a new, empty --user-data-dir of its own
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 800 };

/** A fresh browser profile (its own cookies and storage) at a viewport; page errors fail the test. */
export async function newShopper(
  browser: Browser,
  shop: Shop,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: shop.url, viewport, locale: 'en-US' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

export async function api<T>(shop: Shop, path: string, init: RequestInit & { json?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${shop.url}${path}`, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function signInApi(shop: Shop, email: string, password: string): Promise<string> {
  const res = await api<{ token: string }>(shop, '/api/auth/login', { method: 'POST', json: { email, password } });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
  return res.body.token;
}

/** The dev mailbox (embedded mode): newest first. */
export async function mails(shop: Shop, token: string) {
  const res = await api<{ items: Array<{ id: string; to: string; subject: string }> }>(
    shop,
    '/api/notifications/dev/mail',
    { token },
  );
  if (res.status !== 200) throw new Error(`dev mailbox: ${res.status}`);
  return res.body.items;
}
