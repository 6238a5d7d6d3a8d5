// Starts the payment service (`npm run start:payment`, or inside `npm start`): its database and bus, and
// the provider the configuration names; the kit's runner does the rest.
import { isMain, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { buildApp, migrations } from './app.js';
import { loadConfig, type PaymentConfig } from './config.js';

export function startPayment(config: PaymentConfig, shared?: SharedDeps) {
  return runService({
    name: 'payment',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    bus: true,
    build: async ({ logger, db, bus }) => {
      const service = await buildApp({ config, logger, db, bus });
      logger.info({ provider: service.provider.name }, 'payment provider');
      return service;
    },
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startPayment);
