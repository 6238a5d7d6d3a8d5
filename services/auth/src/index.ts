// What the platform and scripts use of the auth service.
export { type AuthService, buildApp, migrations } from './app.js';
export { type AuthConfig, loadConfig } from './config.js';
export { type StartedAuth, startAuth } from './main.js';
