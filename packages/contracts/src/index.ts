export * from './events.js';
export * from './money.js';
export * from './products.js';
