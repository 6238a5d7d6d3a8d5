// Starts the notification service: config, database + migrations, cache, bus, HTTP; drains on SIGTERM.
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
import { buildApp, migrateNotification } from './app.js';
import { loadConfig, type NotificationConfig } from './config.js';

export async function startNotification(config: NotificationConfig, shared: SharedDeps = {}): Promise<RunningService> {
  const logger = createLogger('notification', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const cache = openCache(config, 'notification:', shared.cache);
  const bus = openBus(config, { name: 'notification', logger, shared: shared.bus });
  const closeBackends = async () => {
    await bus.close();
    await cache.close();
    await closeDb();
  };
  try {
    const applied = await migrateNotification(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app } = await buildApp({ config, logger, db, cache, bus });
    return await listen(app, { name: 'notification', port: config.PORT, host: config.HOST, onClose: closeBackends });
  } catch (err) {
    await closeBackends();
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(loadConfig, startNotification);
