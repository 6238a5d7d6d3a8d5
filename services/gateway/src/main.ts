// Starts the gateway on its own (`npm run start:gateway`) or inside the embedded platform.
import {
  createLogger,
  isMain,
  listen,
  openCache,
  type RunningService,
  runMain,
  type SharedDeps,
} from '@microbazaar/kit';
import { buildApp } from './app.js';
import { type GatewayConfig, loadConfig } from './config.js';

export async function startGateway(config: GatewayConfig, shared?: SharedDeps): Promise<RunningService> {
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const cache = openCache(config, 'gateway:', shared?.cache);
  try {
    const app = await buildApp({ config, logger, cache });
    return await listen(app, { name: 'gateway', port: config.PORT, host: config.HOST, onClose: () => cache.close() });
  } catch (err) {
    await cache.close();
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(loadConfig, startGateway);
