// `npm run deploy:tools`: installs the deploy-only tools from their own lock files (deploy/k8s: the Kubernetes
// schemas; deploy/aws: the CDK, cdk-nag), so the root `npm install` stays lean. `npm test` runs it first; a folder
// whose node_modules was installed from its current lock is left alone. --engine-strict: every package must
// support this Node (20).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['deploy/k8s', 'deploy/aws'];

for (const folder of FOLDERS) {
  const dir = join(ROOT, folder);
  const lock = readFileSync(join(dir, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).update(process.version).digest('hex');
  const stamp = join(dir, 'node_modules', '.installed-from-lock');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
    console.log(`${folder}: up to date`);
    continue;
  }
  const started = Date.now();
  try {
    execFileSync('npm', ['ci', '--engine-strict', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: 'inherit',
    });
  } catch (err) {
    console.error(`\nnpm ci in ${folder} failed (${(err as Error).message}): its tests cannot run without it.`);
    process.exit(1);
  }
  writeFileSync(stamp, hash);
  console.log(`${folder}: installed from its lock in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
