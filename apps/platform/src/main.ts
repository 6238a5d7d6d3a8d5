// `npm start`: the whole platform in one Node process on embedded defaults (PGlite, in-memory
// cache and bus), each service on its own port, the gateway in front. Real backends via their URLs.
// `--demo` (what `npm start` passes) is the try-it-out mode: demo accounts, catalog and mailbox;
// without it (`npm run start:prod`, the platform image) demo data only with DEMO_DATA=true.
import { CommonEnv, ConfigError, loadEnv, stopOnSignals } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { type Platform, startPlatform } from './platform.js';

function webLine(web: Platform['web']): string {
  if (web.state === 'built') return `(web app built in ${(web.ms / 1000).toFixed(1)} s: it was missing or out of date)`;
  if (web.state === 'failed') return `(web app build FAILED, API only: ${web.error}; try npm run build:web)`;
  if (web.state === 'off') return '(web app off: WEB_DIR=off)';
  return '(web app up to date)';
}

async function main(): Promise<void> {
  const started = Date.now();
  const { SHUTDOWN_TIMEOUT_MS } = loadEnv(Type.Object({ SHUTDOWN_TIMEOUT_MS: CommonEnv.SHUTDOWN_TIMEOUT_MS }));
  const platform = await startPlatform(process.env, { demoData: process.argv.slice(2).includes('--demo') });
  const { backends, gateway } = platform;
  const lines = [
    '',
    `microBazaar is up in ${((Date.now() - started) / 1000).toFixed(1)} s (${backends.database}, ${backends.cache}, ${backends.bus})`,
    `  shop         ${gateway.url}/   ${webLine(platform.web)}`,
    `  gateway      ${gateway.url}   (API docs: ${gateway.url}/docs)`,
    ...platform.services.filter((s) => s !== gateway).map((s) => `  ${s.name.padEnd(12)} ${s.url}`),
  ];
  if (platform.demoProducts) lines.push(`  demo catalog: ${platform.demoProducts} products`);
  for (const account of platform.bootstrapAccounts) {
    lines.push(`  created ${account.role} account: ${account.email} / ${account.password}  (shown once; change it)`);
  }
  console.log(`${lines.join('\n')}\n`);
  stopOnSignals(
    platform.stop,
    {
      info: (msg) => console.log(`[platform] ${msg}`),
      error: (o, msg) => console.error(`[platform] ${msg}`, o),
    },
    SHUTDOWN_TIMEOUT_MS,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
