// A new embedded database starts from a ready-made empty cluster instead of PGlite's initdb: initdb in
// WebAssembly is most of a first `npm start` on a busy machine (14 s of 46 here under load, 2 s from the
// template). The template (assets/pglite-<version>.tar.br, 1.3 MB) is made by `npm run pglite:template` for
// the PGlite version installed; another version finds none and runs initdb as before.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

const ASSETS = fileURLToPath(new URL('../assets', import.meta.url));

/** The installed PGlite's version (its package.json, found from its entry point). */
export function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error('@electric-sql/pglite: package.json not found');
    dir = dirname(dir);
  }
}

export function pgliteTemplatePath(version = pgliteVersion()): string {
  return join(ASSETS, `pglite-${version}.tar.br`);
}

/** The template for the installed PGlite as a tar (PGlite's `loadDataDir`), or undefined when there is none. */
export function readPgliteTemplate(): Blob | undefined {
  const path = pgliteTemplatePath();
  if (!existsSync(path)) return undefined;
  return new Blob([brotliDecompressSync(readFileSync(path))]);
}

/** Writes the template of an empty cluster made by this PGlite's initdb; returns its path and size. */
export async function writePgliteTemplate(): Promise<{ path: string; bytes: number }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create();
  try {
    const tar = Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer());
    const packed = brotliCompressSync(tar, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 },
    });
    const path = pgliteTemplatePath();
    writeFileSync(path, packed);
    return { path, bytes: packed.length };
  } finally {
    await pg.close();
  }
}
