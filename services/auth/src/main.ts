// Starts the auth service (`npm run start:auth`, or inside `npm start`): its database, cache and bus, and
// on a first start the admin and demo accounts; the kit's runner does the rest.
import { isMain, runMain, runService, type SharedDeps, type StartedService } from '@microbazaar/kit';
import { type AuthService, buildApp, migrations } from './app.js';
import { type AuthConfig, loadConfig } from './config.js';
import { ensureFirstStartAccounts, type FirstStart } from './usecases/first-start.js';

export type StartedAuth = StartedService<AuthService & FirstStart> & FirstStart;

export async function startAuth(config: AuthConfig, shared?: SharedDeps): Promise<StartedAuth> {
  const started = await runService({
    name: 'auth',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: 'auth:' },
    bus: true,
    build: async ({ logger, db, cache, bus }) => {
      const service = await buildApp({ config, logger, db, cache, bus });
      try {
        return { ...service, ...(await ensureFirstStartAccounts(service.accounts, config, logger)) };
      } catch (err) {
        await service.app.close(); // its workers stop with it
        throw err;
      }
    },
  });
  // the embedded platform prints the accounts once and hands the demo seller to the catalog
  const { bootstrapAccounts, demoSellerId } = started.service;
  return { ...started, bootstrapAccounts, demoSellerId };
}

if (isMain(import.meta.url)) runMain(loadConfig, startAuth);
