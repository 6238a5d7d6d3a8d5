// Starts the auth service: config, database + migrations, cache, bootstrap users, HTTP.
import {
  createLogger,
  isMain,
  listen,
  openBus,
  openCache,
  openDb,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp, migrateAuth } from './app.js';
import { type AuthConfig, bootstrapAdmin, loadConfig } from './config.js';

export interface StartedAuth extends RunningService {
  /** accounts created on this start (first start only), for the embedded platform to print once */
  bootstrapAccounts: Array<{ email: string; password: string; role: string }>;
  /** id of the demo seller when demo data is on: the embedded platform gives it to the catalog */
  demoSellerId: string | undefined;
}

export const DEMO_SELLER = { email: 'seller@microbazaar.local', password: 'seller12345' };

export async function startAuth(config: AuthConfig, shared: SharedDeps = {}): Promise<StartedAuth> {
  const logger = createLogger('auth', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const cache = openCache(config, 'auth:', shared.cache);
  const bus = openBus(config, { name: 'auth', logger, shared: shared.bus });
  const closeAll = async () => {
    await bus.close().catch(() => {});
    await cache.close();
    await closeDb();
  };
  try {
    const applied = await migrateAuth(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app, accounts } = await buildApp({ config, logger, db, cache, bus });

    const admin = bootstrapAdmin(config);
    if (!admin)
      logger.info(
        'no ADMIN_PASSWORD: no admin account is created (set ADMIN_EMAIL and ADMIN_PASSWORD for the first start)',
      );
    const bootstrapAccounts = await accounts.ensureBootstrapUsers({
      admin,
      seller: config.DEMO_DATA ? DEMO_SELLER : undefined,
    });
    const demoSellerId = config.DEMO_DATA ? await accounts.userIdByEmail(DEMO_SELLER.email) : undefined;
    for (const account of bootstrapAccounts)
      logger.info({ email: account.email, role: account.role }, 'bootstrap account created');

    const running = await listen(app, {
      name: 'auth',
      port: config.PORT,
      host: config.HOST,
      onClose: closeAll,
    });
    return { ...running, bootstrapAccounts, demoSellerId };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

if (isMain(import.meta.url)) {
  runMain(loadConfig, startAuth);
}
