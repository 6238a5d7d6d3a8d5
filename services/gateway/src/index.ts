// What the platform and scripts use of the gateway.
export { buildApp, type GatewayService } from './app.js';
export { type GatewayConfig, loadConfig } from './config.js';
export { startGateway } from './main.js';
