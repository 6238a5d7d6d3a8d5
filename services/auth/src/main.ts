// Starts the auth service: config, database + migrations, cache, bootstrap users, HTTP.
import {
  createLogger,
  isMain,
  listen,
  openCache,
  openDb,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp, migrateAuth } from './app.js';
import { type AuthConfig, DEFAULT_ADMIN_PASSWORD, loadConfig } from './config.js';

export interface StartedAuth extends RunningService {
  /** accounts created on this start (first start only), for the embedded platform to print once */
  bootstrapAccounts: Array<{ email: string; password: string; role: string }>;
}

export async function startAuth(config: AuthConfig, shared: SharedDeps = {}): Promise<StartedAuth> {
  const logger = createLogger('auth', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const cache = openCache(config, 'auth:', shared.cache);
  try {
    const applied = await migrateAuth(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app, accounts } = await buildApp({ config, logger, db, cache });

    const refuseDefaultAdmin = config.NODE_ENV === 'production' && config.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD;
    if (refuseDefaultAdmin) logger.warn('ADMIN_PASSWORD is the documented default: no admin is created in production');
    const bootstrapAccounts = await accounts.ensureBootstrapUsers({
      admin: refuseDefaultAdmin ? undefined : { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD },
      seller: config.DEMO_DATA ? { email: 'seller@microbazaar.local', password: 'seller12345' } : undefined,
    });
    for (const account of bootstrapAccounts)
      logger.info({ email: account.email, role: account.role }, 'bootstrap account created');

    const running = await listen(app, {
      name: 'auth',
      port: config.PORT,
      host: config.HOST,
      onClose: async () => {
        await cache.close();
        await closeDb();
      },
    });
    return { ...running, bootstrapAccounts };
  } catch (err) {
    await cache.close();
    await closeDb();
    throw err;
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const config = loadConfig();
    return startAuth(config);
  });
}
