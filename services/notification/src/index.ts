// What the platform and scripts use of the notification service.
export { buildApp, migrations, type NotificationService } from './app.js';
export { loadConfig, type NotificationConfig } from './config.js';
export { startNotification } from './main.js';
