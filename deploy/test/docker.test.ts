// The Dockerfile against the rules of issue 13, then its images built and run natively (no Docker engine here):
// the stages of the platform image and of each service image replayed command by command in a scratch folder,
// the compose migrate + topology job run on the real PostgreSQL and RabbitMQ, and every image's CMD started
// with its image's environment until /health/ready answers, its HEALTHCHECK passes and SIGTERM stops it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import {
  createTestDatabase,
  deleteRedisPrefix,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildEntry, entries, externalPackages } from '../../scripts/build.js';
import { deleteBusTopology, freePort, waitReady } from '../../test/e2e/stack.js';
import { presentServices, ROOT, RUNTIME_NODE_FLAGS, SERVICES } from '../services.js';
import { chain, imageConfig, parseDockerfile, replay, type Stage } from './dockerfile.js';

const { stages, args } = parseDockerfile(join(ROOT, 'Dockerfile'));
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no target "${name}"`);
  return found;
};
const runs = (target: string) => chain(stages, target).flatMap((s) => s.steps.filter((step) => step.keyword === 'RUN'));
/** the workspaces a target's `npm ci --omit=dev -w ...` installs, undefined = all of them */
function installedWorkspaces(target: string): string[] | undefined {
  const install = stage(target).steps.find((s) => s.keyword === 'RUN' && /npm ci\b/.test(s.args));
  if (!install) throw new Error(`${target}: no npm ci of its own`);
  const ws = [...install.args.matchAll(/(?:-w|--workspace)[ =](\S+)/g)].map((m) => m[1]!);
  return ws.length ? ws.sort() : undefined;
}
const pkg = (dir: string) =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
const TARGETS = [...SERVICES.map((s) => s.name), 'platform'];
const NATIVE_RUN = ['auth', 'product', 'gateway', 'assistant'];

describe('Dockerfile', () => {
  it('starts from a pinned Node 20 on Debian bookworm-slim (glibc: the prebuilt sharp and argon2 binaries)', () => {
    expect(args.NODE_IMAGE).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    for (const s of stages) expect(s.parent ? s.parent.name : s.from).toMatch(/^(node:20\.|base$|runtime$)/);
  });

  it('has a target for every service of deploy/services.json, and the platform', () => {
    const names = stages.map((s) => s.name);
    expect(TARGETS.filter((t) => !names.includes(t))).toEqual([]);
  });

  it('installs from the lock file only (npm ci, never npm install)', () => {
    for (const s of stages)
      for (const step of s.steps.filter((x) => x.keyword === 'RUN')) {
        expect(step.args, `${s.name}: ${step.args}`).not.toMatch(/npm (install|i|add)\b/);
      }
  });

  it.each(TARGETS)('%s: production dependencies only, non-root, NODE_ENV=production, health, SIGTERM', (target) => {
    const config = imageConfig(stage(target));
    expect(runs(target).some((r) => /npm ci\b.*--omit=dev/.test(r.args))).toBe(true);
    expect(runs(target).filter((r) => /npm ci\b/.test(r.args) && !/--omit=dev/.test(r.args))).toEqual([]);
    expect(config.user).not.toMatch(/^(root|0)?$/);
    expect(config.env.NODE_ENV).toBe('production');
    // no demo data unless the operator sets DEMO_DATA=true (issue 14.5); the platform's CMD has no --demo
    expect(config.env.DEMO_DATA).toBeUndefined();
    expect(config.cmd.join(' ')).not.toContain('--demo');
    expect(config.stopsignal).toBe('SIGTERM');
    expect(config.healthcheck?.cmd.join(' ')).toContain('/health/live');
    expect(config.healthcheck?.flags).toMatchObject({ interval: expect.any(String), timeout: expect.any(String) });
    const port = target === 'platform' ? 8080 : SERVICES.find((s) => s.name === target)!.port;
    expect(config.env.PORT).toBe(String(port));
    expect(config.expose).toEqual([String(port)]);
    const main = target === 'platform' ? 'apps/platform/dist/main.js' : `services/${target}/dist/main.js`;
    expect(config.cmd).toEqual(['node', ...RUNTIME_NODE_FLAGS, main]);
    // from the build stage only what runs: never its node_modules (dev tools) or sources
    for (const copy of stage(target).steps.filter((s) => s.keyword === 'COPY'))
      expect(copy.flags.from === 'build' ? copy.args : '/out/').toMatch(/^\/out\//);
    if (target !== 'platform') {
      // its own workspace and the kit's; the gateway also the web app's (its server-side renderer)
      expect(installedWorkspaces(target)).toEqual(
        [
          'packages/contracts',
          'packages/kit',
          `services/${target}`,
          ...(target === 'gateway' ? ['apps/web'] : []),
        ].sort(),
      );
    }
    if (target === 'gateway' || target === 'platform') expect(config.env.WEB_DIR).toBe('apps/web/dist');
  });

  it('keeps secrets, local data and local builds out of every layer', () => {
    for (const s of stages)
      for (const step of s.steps.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG'))
        expect(step.args, `${s.name}: ${step.keyword} ${step.args}`).not.toMatch(
          /SECRET|PASSWORD|TOKEN|_KEY\b|PRIVATE/i,
        );
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.data', '**/.data', '.env', '.env.*', '.git', '**/*.pem'])
      expect(ignore, pattern).toContain(pattern);
  });

  it('every npm package a bundle imports is declared by a workspace its image installs', async () => {
    const rootDeps = Object.keys(pkg('.').dependencies ?? {});
    const missing: string[] = [];
    for (const entry of entries().filter((e) => !e.source.startsWith('scripts/'))) {
      const target = entry.source.startsWith('apps/platform') ? 'platform' : entry.source.split('/')[1]!;
      const workspaces =
        installedWorkspaces(target) ??
        ['packages', 'services', 'apps'].flatMap((d) =>
          SERVICES.map((s) => s.name)
            .concat(['kit', 'contracts', 'platform'])
            .map((n) => `${d}/${n}`)
            .filter((w) => existsSync(join(ROOT, w, 'package.json'))),
        );
      const declared = new Set([...rootDeps, ...workspaces.flatMap((w) => Object.keys(pkg(w).dependencies ?? {}))]);
      for (const name of externalPackages(await buildEntry(ROOT, entry, { write: false })))
        if (!declared.has(name)) missing.push(`${target} imports ${name}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { target?: string };
        command?: string[];
        depends_on?: Record<string, { condition: string }>;
        healthcheck?: unknown;
        environment?: Record<string, string>;
        ports?: string[];
      }
    >;
  };

  it('runs every service from its Dockerfile target, after the migrate job and healthy backends', () => {
    for (const s of SERVICES) {
      const svc = compose.services[s.name];
      expect(svc?.build?.target, s.name).toBe(s.name);
      const backends = [s.database && 'postgres', s.cache && 'redis', s.bus && 'rabbitmq'].filter(Boolean) as string[];
      if (s.database || s.bus)
        expect(svc?.depends_on?.migrate?.condition, s.name).toBe('service_completed_successfully');
      for (const backend of backends)
        expect(svc?.depends_on?.[backend]?.condition, `${s.name} → ${backend}`).toBe('service_healthy');
    }
    const gateway = compose.services.gateway!;
    for (const s of SERVICES.filter((x) => x.name !== 'gateway'))
      expect(gateway.depends_on?.[s.name]?.condition, `gateway → ${s.name}`).toBe('service_healthy');
  });

  it('has health checks on the backends and pinned images (never latest)', () => {
    for (const name of ['postgres', 'redis', 'rabbitmq']) expect(compose.services[name]?.healthcheck).toBeDefined();
    for (const [name, svc] of Object.entries(compose.services))
      if (svc.image) expect(svc.image, name).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
  });

  it('the migrate job runs the migrations and declares the broker topology from the platform image', () => {
    const migrate = compose.services.migrate!;
    expect(migrate.build?.target).toBe('platform');
    expect(migrate.command?.join(' ')).toMatch(/migrate\.js.*events\.js topology declare/);
    expect(migrate.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(migrate.depends_on?.rabbitmq?.condition).toBe('service_healthy');
  });

  it('client addresses (issue 14.8): services believe the gateway one hop in front, the gateway believes no one', () => {
    // the gateway's own IP would otherwise be every client's: one client's failed logins would block everyone's
    for (const s of SERVICES.filter((x) => x.name !== 'gateway')) {
      expect(compose.services[s.name]?.environment?.TRUST_PROXY, s.name).toBe('1');
      expect(compose.services[s.name]?.ports, `${s.name} is reached only through the gateway`).toBeUndefined();
    }
    // the edge: a client's own X-Forwarded-For is never believed
    expect(compose.services.gateway?.environment?.TRUST_PROXY).toBe('false');
  });

  it('takes every secret from the environment', () => {
    const text = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
    for (const line of text.split('\n').filter((l) => /PASSWORD|SECRET/.test(l) && /:\s*\S/.test(l)))
      if (!/^\s*#/.test(line) && !/\$\{\w+:\?/.test(line) && !/\$\$REDIS/.test(line))
        expect.fail(`secret in compose.yaml: ${line}`);
  });
});

describe('.github/workflows/ci.yml', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
    jobs: Record<
      string,
      {
        steps: Array<{ run?: string }>;
        services?: Record<string, unknown>;
        strategy?: { matrix: { target: string[] } };
      }
    >;
  };

  it('runs .ci/run (the same suite as this CI) with PostgreSQL, Redis and RabbitMQ beside it', () => {
    expect(workflow.jobs.test?.steps.some((s) => s.run?.trim() === '.ci/run')).toBe(true);
    expect(Object.keys(workflow.jobs.test?.services ?? {}).sort()).toEqual(['postgres', 'rabbitmq', 'redis']);
  });

  it('builds every target of the Dockerfile', () => {
    expect([...(workflow.jobs.images?.strategy?.matrix.target ?? [])].sort()).toEqual([...TARGETS].sort());
  });
});

/** Natively built images: the stages of each target replayed (deploy/test/dockerfile.ts). */
describe('images, built and run natively', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'mb-images-'));
  const done = new Map<string, string>();
  const log: string[] = [];
  const replayEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? homedir(),
    // the machine's npm cache first: same lock, same tarballs, checked by their integrity
    npm_config_prefer_offline: 'true',
    npm_config_loglevel: 'error',
  };
  const build = (target: string) =>
    replay(stages, target, { context: ROOT, workDir, env: replayEnv, log: (l) => log.push(l) }, done);
  let database: TestDatabase;
  const busPrefix = testPrefix('images');
  const cartPrefix = uniquePrefix('images-cart');
  const children: ChildProcess[] = [];
  let backendEnv: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('images');
    backendEnv = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      RABBITMQ_URL: TEST_RABBITMQ_URL,
      BUS_PREFIX: busPrefix,
      CART_KEY_PREFIX: cartPrefix,
      LIVE_CHANNEL: uniquePrefix('images-live'),
      // what production insists on: an SMTP server (nothing is mailed here), encrypted signing keys, and the
      // sandbox only when named and allowed
      SMTP_URL: 'smtp://127.0.0.1:9',
      JWT_KEY_ENCRYPTION_SECRET: randomBytes(24).toString('hex'),
      CART_ID_SECRET: randomBytes(24).toString('hex'),
      PAYMENT_PROVIDER: 'sandbox',
      ALLOW_SANDBOX_PAYMENTS: 'true',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    };
  });

  afterAll(async () => {
    // MB_IMAGES_LOG=<file>: every replayed step with its duration
    if (process.env.MB_IMAGES_LOG) writeFileSync(process.env.MB_IMAGES_LOG, log.join('\n'));
    for (const child of children) child.kill('SIGKILL');
    const step = async (what: string, fn: () => Promise<unknown>) => {
      const started = Date.now();
      await fn().catch(() => {});
      log.push(`cleanup ${what} (${Date.now() - started} ms)`);
    };
    await step('bus', () => deleteBusTopology(busPrefix, [backendEnv]));
    await step('database', async () => database?.drop());
    await step('redis', () => deleteRedisPrefix(cartPrefix));
    await step('files', () => rm(workDir, { recursive: true, force: true }));
    if (process.env.MB_IMAGES_LOG) writeFileSync(process.env.MB_IMAGES_LOG, log.join('\n'));
  }, 600_000);

  /** The image's CMD in its WORKDIR with its ENV (plus the run's), until /health/ready; then HEALTHCHECK and SIGTERM. */
  async function runImage(target: string, env: Record<string, string>, check?: (url: string) => Promise<void>) {
    const config = imageConfig(stage(target));
    const cwd = join(done.get(target)!, config.workdir);
    const port = await freePort();
    const runEnv = { PATH: process.env.PATH ?? '', ...config.env, ...backendEnv, ...env, PORT: String(port) };
    const [command, ...rest] = config.cmd;
    expect(command).toBe('node');
    const child = spawn(process.execPath, rest, { cwd, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(url, 120_000, () => child.exitCode === null);
      await check?.(url);
      const [hcCommand, ...hcArgs] = config.healthcheck!.cmd;
      expect(hcCommand).toBe('node');
      execFileSync(process.execPath, hcArgs, { cwd, env: runEnv, stdio: 'pipe', timeout: 10_000 });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(config.stopsignal as NodeJS.Signals);
      expect(await exited).toBe(0);
    } catch (err) {
      throw new Error(`${target}: ${(err as Error).message}\n${output.slice(-4000)}`);
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('platform: the compose migrate + topology job, then every service in one process', async () => {
    build('platform');
    const root = join(done.get('platform')!, imageConfig(stage('platform')).workdir);
    // the image holds no sources, tests or dev tools
    for (const absent of ['services/auth/src', 'packages/kit/src', 'node_modules/vitest', 'node_modules/typescript'])
      expect(existsSync(join(root, absent)), absent).toBe(false);
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true });
    const job = compose.services.migrate.command as string[];
    const out = execFileSync(job[0]!, job.slice(1), {
      cwd: root,
      env: { PATH: process.env.PATH, ...imageConfig(stage('platform')).env, ...backendEnv },
      encoding: 'utf8',
    });
    expect(out).toMatch(/auth: applied/);
    expect(out).toMatch(/declared .*inventory_queue/);
    // PORT is the gateway's; every other service on a port of its own
    const ports = Object.fromEntries(
      await Promise.all(
        SERVICES.filter((s) => s.name !== 'gateway').map(async (s) => [
          `${s.name.toUpperCase()}_PORT`,
          String(await freePort()),
        ]),
      ),
    );
    await runImage('platform', { ...ports, DATA_DIR: mkdtempSync(join(tmpdir(), 'mb-images-data-')) }, async (url) => {
      if (existsSync(join(root, 'apps/web/dist/index.html'))) {
        // the web app, built by Vite in the build stage, served by the gateway
        expect((await fetch(`${url}/`)).status).toBe(200);
      }
    });
  }, 600_000);

  // the images with more than their bundle to carry: native binaries (argon2, sharp's libvips), the web app and
  // its renderer's packages (gateway), an embedding model in worker threads and a FAQ file (assistant); the
  // others install the same way and their imports are checked above against what their workspaces declare
  it.each(
    presentServices()
      .filter((s) => NATIVE_RUN.includes(s.name))
      .map((s) => s.name),
  )(
    '%s: its own image, started from dist/',
    async (name) => {
      build(name);
      const root = join(done.get(name)!, imageConfig(stage(name)).workdir);
      expect(existsSync(join(root, `services/${name}/src`))).toBe(false);
      const dataDir = mkdtempSync(join(tmpdir(), `mb-images-${name}-`));
      const env: Record<string, string> = { DATA_DIR: dataDir };
      if (name === 'auth') env.ADMIN_PASSWORD = `images-${Date.now()}`;
      if (name === 'product') env.DEMO_DATA = 'true';
      await runImage(name, env, async (url) => {
        if (name === 'product') {
          // the demo catalog's pictures went through sharp (libvips) and local storage in the image
          const list = (await (await fetch(`${url}/api/products?limit=1`)).json()) as {
            items: Array<{ images: Array<{ url: string }> }>;
          };
          const image = list.items[0]?.images[0]?.url;
          expect(image).toBeDefined();
          expect((await fetch(new URL(image!, url))).status).toBe(200);
        }
        if (name === 'gateway') {
          // the web app, built in the build stage, rendered on the server with the web workspace's packages
          const page = await fetch(`${url}/`);
          expect(page.status).toBe(200);
          expect(await page.text()).toMatch(/<html/i);
        }
        if (name === 'auth') {
          // argon2 (a native binary) hashes a password
          const res = await fetch(`${url}/api/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              email: `image-${randomBytes(4).toString('hex')}@example.com`,
              password: 'correct horse battery',
              name: 'Ada',
            }),
          });
          expect(res.status, await res.text()).toBe(201);
        }
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
    300_000,
  );
});
