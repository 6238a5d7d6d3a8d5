// `npm run build`: every service, the all-in-one platform and the operator scripts to plain JavaScript
// (one esbuild bundle each, workspace code inside, npm dependencies left as imports), then the web app.
// Types are checked by `npm run typecheck`, not here.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { presentServices, ROOT } from '../deploy/services.js';

export interface Entry {
  /** the TypeScript entry, relative to the repository */
  source: string;
  /** the bundle it becomes, relative to the repository */
  outfile: string;
}

/** Every entry point of this checkout: services present in deploy/services.json, the platform, the scripts. */
export function entries(root: string = ROOT): Entry[] {
  const list: Entry[] = presentServices(root).map((s) => ({
    source: `services/${s.name}/src/main.ts`,
    outfile: `services/${s.name}/dist/main.js`,
  }));
  list.push({ source: 'apps/platform/src/main.ts', outfile: 'apps/platform/dist/main.js' });
  for (const script of ['migrate', 'events', 'seed-catalog']) {
    list.push({ source: `scripts/${script}.ts`, outfile: `scripts/dist/${script}.js` });
  }
  return list;
}

const posix = (path: string) => path.split(sep).join('/');

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name` */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The folder of the copy of a package that Node loads for an import from `dir` (the first node_modules up). */
function nearestCopy(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Workspace code (`@microbazaar/*`, relative imports) goes into the bundle; npm packages stay imports
 * resolved from node_modules at run time, so native addons (sharp, argon2), PGlite's WebAssembly and
 * pino's worker files load from their own folders exactly as they do from source. A bundle sits elsewhere
 * than the code that imports, so a package Node would find in a workspace's own node_modules (another
 * version than the hoisted one: kit's fastify-plugin, notification's nodemailer) is bundled from that copy.
 */
function npmPackagesExternal(root: string): Plugin {
  return {
    name: 'npm-packages-external',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@microbazaar/') || isBuiltin(args.path)) return undefined;
        // inside a package bundled from a nested copy: its own imports resolve the same way as from there
        if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
        const name = packageName(args.path);
        if (nearestCopy(args.resolveDir, name) !== join(root, 'node_modules', name)) return undefined;
        return { path: args.path, external: true, sideEffects: false };
      });
    },
  };
}

/**
 * Source files find their migrations and templates with `new URL('../migrations', import.meta.url)` (or
 * import.meta.dirname). In a bundle those name the bundle itself, so each module's are replaced by where that
 * module would sit in its package's dist/ (services/x/src/app.ts → services/x/dist/app.ts): dist/ is as deep
 * as src/, so every relative path still reaches the same folder beside it, from the repository and from an
 * image alike. The entry module keeps the bundle's own, so `isMain(import.meta.url)` is true for it alone.
 */
function importMetaUrlOfSource(root: string, entry: string, outDir: string): Plugin {
  return {
    name: 'import-meta-url-of-source',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const contents = readFileSync(args.path, 'utf8');
        if (args.path === entry || !/import\.meta\.(url|dirname|filename)/.test(contents)) return undefined;
        const fromRoot = posix(relative(root, args.path));
        if (fromRoot.startsWith('..') || fromRoot.includes('node_modules/')) return undefined;
        const inDist = fromRoot.replace(/\/src\//, '/dist/');
        const url = `new URL(${JSON.stringify(posix(relative(outDir, join(root, inDist))))}, import.meta.url).href`;
        return {
          contents: contents
            .replaceAll('import.meta.url', url)
            .replaceAll('import.meta.filename', `__mbFileURLToPath(${url})`)
            .replaceAll('import.meta.dirname', `__mbDirname(__mbFileURLToPath(${url}))`),
          loader: 'ts',
        };
      });
    },
  };
}

/** Files under src/ that are not code (pictures, data) are copied to the same place under dist/. */
function copyAssets(srcDir: string, distDir: string): number {
  if (!existsSync(srcDir)) return 0;
  let copied = 0;
  for (const name of readdirSync(srcDir)) {
    const from = join(srcDir, name);
    if (statSync(from).isDirectory()) {
      copied += copyAssets(from, join(distDir, name));
    } else if (!/\.(ts|tsx|md)$/.test(name)) {
      cpSync(from, join(distDir, name));
      copied++;
    }
  }
  return copied;
}

/** Bundles one entry; `write: false` only works out what it would hold (its metafile). */
export async function buildEntry(root: string, entry: Entry, opts: { write?: boolean } = {}): Promise<Metafile> {
  const write = opts.write ?? true;
  const entryPath = join(root, entry.source);
  const outDir = dirname(join(root, entry.outfile));
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entryPath],
    outdir: outDir,
    entryNames: basename(entry.outfile, '.js'),
    // a module loaded by import() (a storage provider's SDK) stays out of memory until it is used;
    // chunks sit beside the entry so every module's relative URLs resolve the same
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write,
    // a CommonJS package bundled from a nested copy requires Node's built-ins
    banner: {
      js: [
        "import { createRequire as __mbCreateRequire } from 'node:module';",
        "import { dirname as __mbDirname } from 'node:path';",
        "import { fileURLToPath as __mbFileURLToPath } from 'node:url';",
        'const require = __mbCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    plugins: [npmPackagesExternal(root), importMetaUrlOfSource(root, entryPath, outDir)],
  });
  // the entry package's src/ assets beside its bundle (workspace packages have none today)
  if (write && dirname(entry.source).endsWith('/src')) copyAssets(dirname(entryPath), outDir);
  return result.metafile;
}

/** npm packages a bundle imports at run time (what its image must install). */
export function externalPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      if (imp.external && !isBuiltin(imp.path)) names.add(packageName(imp.path));
    }
  }
  return [...names].sort();
}

/** The web app (apps/web, built by Vite) when this checkout has it. */
function buildWeb(root: string): boolean {
  const pkgFile = join(root, 'apps', 'web', 'package.json');
  if (!existsSync(pkgFile)) return false;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.build) return false;
  execFileSync('npm', ['run', 'build', '--workspace', 'apps/web'], { cwd: root, stdio: 'inherit' });
  return true;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'skip-web': { type: 'boolean', default: false } } });
  const started = Date.now();
  const list = entries();
  // no stale bundle survives a rebuild (a service renamed or gone)
  for (const dir of new Set(list.map((e) => dirname(join(ROOT, e.outfile)))))
    rmSync(dir, { recursive: true, force: true });
  for (const entry of list) {
    const metafile = await buildEntry(ROOT, entry);
    const size = Object.values(metafile.outputs).reduce((sum, o) => sum + (o.entryPoint ? o.bytes : 0), 0);
    console.log(`  ${entry.outfile.padEnd(36)} ${(size / 1024).toFixed(0).padStart(5)} KiB`);
  }
  const web = !values['skip-web'] && buildWeb(ROOT);
  console.log(
    `built ${list.length} bundles${web ? ' and the web app' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
