// What the platform and scripts use of the order service.
export { buildApp, migrations, type OrderService } from './app.js';
export { loadConfig, type OrderConfig } from './config.js';
export { startOrder } from './main.js';
