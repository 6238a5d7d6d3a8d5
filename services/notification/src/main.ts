// Starts the notification service (`npm run start:notification`, or inside `npm start`): its database, cache
// (stream tickets) and bus; the kit's runner does the rest. Its mail, SMS and live fan-out clients close with the app.
import { isMain, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { buildApp, migrations } from './app.js';
import { loadConfig, type NotificationConfig } from './config.js';

export function startNotification(config: NotificationConfig, shared?: SharedDeps) {
  return runService({
    name: 'notification',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: 'notification:' },
    bus: true,
    build: ({ logger, db, cache, bus }) => buildApp({ config, logger, db, cache, bus }),
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startNotification);
