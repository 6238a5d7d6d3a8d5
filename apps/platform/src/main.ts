// `npm start`: every service in one Node process on embedded defaults (PGlite, in-memory cache),
// each on its own port, the gateway in front. Set DATABASE_URL / REDIS_URL to use real backends.
import { join } from 'node:path';
import { loadConfig as loadAuthConfig } from '@microbazaar/auth/config';
import { startAuth } from '@microbazaar/auth/main';
import { loadConfig as loadGatewayConfig } from '@microbazaar/gateway/config';
import { startGateway } from '@microbazaar/gateway/main';
import {
  ConfigError,
  type Env,
  MemoryCache,
  PgliteHost,
  type RunningService,
  type SharedDeps,
  stopOnSignals,
} from '@microbazaar/kit';

/** The env one service sees: its own port from <NAME>_PORT, everything else shared. */
function envFor(name: string, extra: Env = {}): Env {
  const env: Env = { ...process.env, ...extra };
  env.PORT = process.env[`${name.toUpperCase()}_PORT`];
  return env;
}

async function main(): Promise<void> {
  const started = Date.now();
  const authConfig = loadAuthConfig(envFor('auth'));
  const gatewayEnv = envFor('gateway', {
    AUTH_URL: process.env.AUTH_URL ?? `http://127.0.0.1:${authConfig.PORT}`,
    AUTH_JWKS_URL: process.env.AUTH_JWKS_URL ?? `http://127.0.0.1:${authConfig.PORT}/.well-known/jwks.json`,
  });
  gatewayEnv.PORT = process.env.GATEWAY_PORT ?? process.env.PORT;
  const gatewayConfig = loadGatewayConfig(gatewayEnv);

  const shared: SharedDeps = {};
  if (!authConfig.DATABASE_URL) shared.pglite = await PgliteHost.open(join(authConfig.DATA_DIR, 'pglite'));
  if (!authConfig.REDIS_URL) shared.cache = new MemoryCache();

  const services: RunningService[] = [];
  const stopAll = async () => {
    // the gateway first so no new traffic reaches services that are draining
    for (const service of [...services].reverse()) await service.stop().catch(() => {});
    await shared.cache?.close();
    await shared.pglite?.close();
  };

  try {
    const auth = await startAuth(authConfig, shared);
    services.push(auth);
    const gateway = await startGateway(gatewayConfig, shared);
    services.push(gateway);

    const lines = [
      '',
      `microBazaar is up in ${((Date.now() - started) / 1000).toFixed(1)} s (embedded: ${shared.pglite ? 'PGlite' : 'PostgreSQL'}, ${shared.cache ? 'in-memory cache' : 'Redis'})`,
      `  gateway   ${gateway.url}   (API docs: ${gateway.url}/docs)`,
      ...services.filter((s) => s !== gateway).map((s) => `  ${s.name.padEnd(9)} ${s.url}`),
    ];
    for (const account of auth.bootstrapAccounts) {
      lines.push(`  created ${account.role} account: ${account.email} / ${account.password}  (shown once; change it)`);
    }
    console.log(`${lines.join('\n')}\n`);
  } catch (err) {
    await stopAll();
    throw err;
  }

  stopOnSignals(stopAll, {
    info: (msg) => console.log(`[platform] ${msg}`),
    error: (o, msg) => console.error(`[platform] ${msg}`, o),
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
