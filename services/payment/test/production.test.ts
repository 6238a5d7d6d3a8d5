// `npm run start:payment` with NODE_ENV=production and no real provider does not start at all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services/payment/src/main.ts')], {
    cwd: ROOT,
    // a data folder of its own: were it to start, it would open an embedded database there
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'mbt-payment-prod-')),
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('payment service start in production', () => {
  it('exits 1 naming PAYMENT_PROVIDER when only the sandbox would take payments', () => {
    const run = start({ NODE_ENV: 'production' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('PAYMENT_PROVIDER: the sandbox confirms orders without money');
  });

  it('exits 1 with PAYMENT_PROVIDER=sandbox but no ALLOW_SANDBOX_PAYMENTS', () => {
    const run = start({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ALLOW_SANDBOX_PAYMENTS=true');
  });
});
