// One service shape (issue 15), held by a cheap check of the files: every service starts through the kit's
// runService, declares its background work through startWorkers behind one `workers` option, consumes only
// through the inbox, and keeps the one layout the README's "Inside a service" describes. A service that
// drifts (a hand-made main.ts, a `ports/` directory, a use case back at the top of src/) fails here, naming it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SERVICES = readdirSync(join(ROOT, 'services')).filter((d) =>
  existsSync(join(ROOT, 'services', d, 'package.json')),
);
/** the one service without a database or a bus (README: "Inside a service", last paragraph) */
const NO_BACKENDS = new Set(['gateway']);

const src = (service: string, ...parts: string[]) => join(ROOT, 'services', service, 'src', ...parts);
const read = (path: string) => readFileSync(path, 'utf8');
const code = (path: string) =>
  read(path)
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l))
    .join('\n');

/** every .ts file below a directory, tests excluded */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const TOP_FILES = new Set(['config.ts', 'app.ts', 'main.ts', 'index.ts']);
// `seed/` is the product's demo catalog and bench seeding (data, not a layer)
const DIRS = new Set(['domain', 'usecases', 'store', 'http', 'events', 'adapters', 'seed']);
const EVENT_FILES = new Set(['handlers.ts', 'publish.ts']);

describe.each(SERVICES)('service %s has the one shape', (service) => {
  it('main.ts is a few lines through runService and runMain', () => {
    const main = read(src(service, 'main.ts'));
    expect(main).toMatch(/\brunService\(/);
    expect(main).toMatch(/\brunMain\(loadConfig, start\w+\)/);
    expect(main.split('\n').length).toBeLessThanOrEqual(50);
    // what runService does is not done again by hand
    expect(main).not.toMatch(/\b(openDb|createPostgresDb|RabbitBus|\.listen\(|migrate\w*\()/);
  });

  it('src/ holds config.ts, app.ts, main.ts, index.ts and only the layout directories', () => {
    const entries = readdirSync(src(service));
    const files = entries.filter((e) => !statSync(src(service, e)).isDirectory() && !e.endsWith('.test.ts'));
    const dirs = entries.filter((e) => statSync(src(service, e)).isDirectory());
    expect(files.sort()).toEqual([...TOP_FILES].sort());
    expect(dirs.filter((d) => !DIRS.has(d))).toEqual([]);
    const events = existsSync(src(service, 'events')) ? readdirSync(src(service, 'events')) : [];
    expect(events.filter((f) => !EVENT_FILES.has(f) && !f.endsWith('.test.ts'))).toEqual([]);
  });

  it('index.ts exports start<Name>, loadConfig and buildApp', () => {
    const index = read(src(service, 'index.ts'));
    for (const name of [/\bstart[A-Z]\w+\b/, /\bloadConfig\b/, /\bbuildApp\b/]) expect(index).toMatch(name);
  });

  if (NO_BACKENDS.has(service)) {
    it('app.ts: createApp, and no migrations or workers (no database, no bus)', () => {
      const app = code(src(service, 'app.ts'));
      expect(app).toMatch(/\bcreateApp\(/);
      expect(app).not.toMatch(/\bserviceMigrations\(/);
      expect(app).not.toMatch(/\bstartWorkers\(/);
    });
  } else {
    it('app.ts: createServiceApp, serviceMigrations, startWorkers behind `workers`', () => {
      const app = code(src(service, 'app.ts'));
      expect(app).toMatch(/\bcreateServiceApp\(/);
      expect(app).toMatch(/\bserviceMigrations\(/);
      expect(app).toMatch(/\bstartWorkers\(app,/);
      expect(app).toMatch(/deps\.workers === false/);
    });
  }

  it('consumes only through the inbox (serviceEvents / subscribeWithInbox)', () => {
    const offenders = sources(src(service)).flatMap((file) => {
      const text = code(file);
      const found = [
        /\bbus\.subscribe\(/.test(text) && 'bus.subscribe (use serviceEvents / subscribeWithInbox)',
        /\binboxHandler\(/.test(text) && 'inboxHandler (use serviceEvents / subscribeWithInbox)',
      ].filter(Boolean);
      return found.map((what) => `${file.slice(ROOT.length + 1)}: ${what}`);
    });
    expect(offenders).toEqual([]);
  });

  it('no source file over 400 lines (seed data aside)', () => {
    const long = sources(src(service))
      .filter((f) => !f.includes('/seed/'))
      .map((f) => [f.slice(ROOT.length + 1), read(f).split('\n').length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });
});

describe('workspace packages', () => {
  const packages = ['packages', 'services', 'apps'].flatMap((base) =>
    readdirSync(join(ROOT, base))
      .map((d) => join(base, d))
      .filter((d) => existsSync(join(ROOT, d, 'package.json'))),
  );

  it.each(packages)('%s: every export of package.json points at a file that exists', (dir) => {
    const { exports } = JSON.parse(read(join(ROOT, dir, 'package.json'))) as { exports?: unknown };
    const targets: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v && typeof v === 'object') for (const inner of Object.values(v)) walk(inner);
    };
    walk(exports);
    const missing = targets.filter((t) => {
      // a pattern export (./src/*.ts) needs its directory
      const path = t.includes('*') ? t.slice(0, t.indexOf('*')) : t;
      return !existsSync(join(ROOT, dir, path));
    });
    expect(missing).toEqual([]);
  });
});
