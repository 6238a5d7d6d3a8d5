// What the platform and scripts use of the payment service.
export { buildApp, migrations, type PaymentService } from './app.js';
export { loadConfig, type PaymentConfig } from './config.js';
export { startPayment } from './main.js';
