// What the platform and scripts use of the assistant service.
export { buildApp, migrations } from './app.js';
export { type AssistantConfig, loadConfig } from './config.js';
export { startAssistant } from './main.js';
