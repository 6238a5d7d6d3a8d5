// Starts the gateway (`npm run start:gateway`, or inside `npm start`, last): no database and no bus, only the
// cache its rate limits count in; the kit's runner does the rest.
import { isMain, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { buildApp } from './app.js';
import { type GatewayConfig, loadConfig } from './config.js';

export function startGateway(config: GatewayConfig, shared?: SharedDeps) {
  return runService({
    name: 'gateway',
    config,
    shared,
    cache: { prefix: 'gateway:' },
    build: ({ logger, cache }) => buildApp({ config, logger, cache }),
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startGateway);
