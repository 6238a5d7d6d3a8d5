// What the platform and scripts use of the product service.
export { buildApp, migrations, type ProductService } from './app.js';
export { loadConfig, type ProductConfig } from './config.js';
export { type StartedProduct, startProduct } from './main.js';
