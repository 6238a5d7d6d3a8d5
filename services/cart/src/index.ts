// What the platform and scripts use of the cart service.
export { buildApp, type CartService, migrations } from './app.js';
export { type CartConfig, loadConfig } from './config.js';
export { startCart } from './main.js';
