// What the embedded platform shares between the services it runs in one process.
import type { MemoryBroker } from './bus/memory.js';
import type { MemoryCache } from './cache.js';
import type { PgliteHost } from './db.js';

export interface SharedDeps {
  /** one embedded database for every service (schema per service) */
  pglite?: PgliteHost;
  /** one in-memory cache store (key prefix per service) */
  cache?: MemoryCache;
  /** one in-memory event broker (used by each service when RABBITMQ_URL is unset) */
  bus?: MemoryBroker;
}
