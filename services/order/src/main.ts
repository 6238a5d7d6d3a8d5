// Starts the order service (`npm run start:order`, or inside `npm start`): its database and bus, and the
// product and cart services it reads at checkout; the kit's runner does the rest.
import { isMain, runMain, runService, type SharedDeps } from '@microbazaar/kit';
import { httpCart } from './adapters/cart.js';
import { httpCatalog } from './adapters/catalog.js';
import { buildApp, migrations } from './app.js';
import { loadConfig, type OrderConfig } from './config.js';

export function startOrder(config: OrderConfig, shared?: SharedDeps) {
  return runService({
    name: 'order',
    config,
    shared,
    db: { schema: config.DB_SCHEMA, migrations },
    bus: true,
    build: ({ logger, db, bus, closeWith }) => {
      const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
      const catalog = closeWith(httpCatalog({ baseUrl: config.PRODUCT_URL, timeoutMs }));
      const cart = closeWith(httpCart({ baseUrl: config.CART_URL, timeoutMs }));
      return buildApp({ config, logger, db, bus, catalog, cart });
    },
  });
}

if (isMain(import.meta.url)) runMain(loadConfig, startOrder);
