// What the platform and scripts use of the cart service.
export { buildApp } from './app.js';
export { type CartConfig, loadConfig } from './config.js';
export { startCart } from './main.js';
