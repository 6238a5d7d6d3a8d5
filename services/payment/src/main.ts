// Starts the payment service: config, database + migrations, event bus, provider, HTTP, workers; drains on SIGTERM.
import {
  createLogger,
  isMain,
  listen,
  openBus,
  openDb,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp, migratePayment } from './app.js';
import { loadConfig, type PaymentConfig } from './config.js';

export async function startPayment(config: PaymentConfig, shared: SharedDeps = {}): Promise<RunningService> {
  const logger = createLogger('payment', config.LOG_LEVEL);
  const { db, close: closeDb } = await openDb(config, config.DB_SCHEMA, shared);
  const bus = openBus(config, { name: 'payment', logger, shared: shared.bus });
  const closeBackends = async () => {
    await bus.close().catch(() => {});
    await closeDb();
  };
  try {
    const applied = await migratePayment(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const { app, provider } = await buildApp({ config, logger, db, bus });
    logger.info({ provider: provider.name }, 'payment provider');
    return await listen(app, { name: 'payment', port: config.PORT, host: config.HOST, onClose: closeBackends });
  } catch (err) {
    await closeBackends();
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(loadConfig, startPayment);
