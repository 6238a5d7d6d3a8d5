export * from './config.js';
export { HEADER, stringHeaders, topicMatches } from './consume.js';
export * from './inbox.js';
export * from './memory.js';
export * from './metrics.js';
export * from './outbox.js';
export * from './rabbitmq.js';
export * from './tracing.js';
export * from './types.js';
