// Starts the assistant (`npm run start:assistant`, or inside `npm start`): its database, cache and bus,
// the embedding model's worker threads, and clients of the product, order and cart services.
import { isMain, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { httpCart } from './adapters/cart.js';
import { httpCatalogSource } from './adapters/catalog.js';
import { cachingEmbedder, createUseLiteEmbedder } from './adapters/embedder.js';
import { httpOrders } from './adapters/orders.js';
import { buildApp, migrations } from './app.js';
import { type AssistantConfig, loadConfig } from './config.js';

export function startAssistant(config: AssistantConfig, shared?: SharedDeps) {
  return runService({
    name: 'assistant',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    cache: { prefix: 'assistant:' },
    bus: true,
    build: async ({ logger, db, bus, cache, closeWith }) => {
      const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
      const embedder = closeWith(
        cachingEmbedder(await createUseLiteEmbedder({ workers: config.ASSISTANT_EMBED_WORKERS })),
      );
      const source = closeWith(httpCatalogSource({ baseUrl: config.PRODUCT_URL, timeoutMs }));
      const orders = closeWith(httpOrders({ baseUrl: config.ORDER_URL, timeoutMs }));
      const cart = closeWith(httpCart({ baseUrl: config.CART_URL, timeoutMs }));
      return buildApp({ config, logger, db, bus, cache, embedder, source, orders, cart });
    },
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startAssistant);
