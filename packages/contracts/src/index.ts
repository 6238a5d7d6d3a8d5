export * from './events.js';
export * from './money.js';
