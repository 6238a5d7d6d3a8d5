// Composition root of the order service: routes, the saga consumer on orders_queue, the outbox relay and the sweeper.
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  createServiceApp,
  type Db,
  type Logger,
  type OutboxRelay,
  type Periodic,
  serviceEvents,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import type { CartReader } from './adapters/cart.js';
import type { Catalog } from './adapters/catalog.js';
import type { OrderConfig } from './config.js';
import { orderSagaFastPaths, orderSagaHandlers } from './events/handlers.js';
import { orderRoutes } from './http/routes.js';
import { createOrders, type Orders } from './usecases/orders.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface OrderDeps extends WorkersOption {
  config: OrderConfig;
  logger: Logger;
  db: Db;
  bus: Bus;
  catalog: Catalog;
  cart: CartReader;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
}

export interface OrderService {
  app: App;
  orders: Orders;
  /** absent when built without workers */
  relay?: OutboxRelay;
  sweeper?: Periodic;
}

export async function buildApp(deps: OrderDeps): Promise<OrderService> {
  const { config, logger, db, bus } = deps;
  const orders = createOrders({ db, catalog: deps.catalog, cart: deps.cart, config });
  const { app, guards } = await createServiceApp({
    name: 'order',
    description: 'Checkout, the order lifecycle and the order saga',
    config,
    logger,
    verifier: deps.verifier,
    readiness: { db: () => db.ping(), bus: () => bus.ping() },
  });
  orderRoutes(app, { orders, guards });

  if (deps.workers === false) return { app, orders };
  const events = serviceEvents({ app, db, bus, logger, config });
  const workers = await startWorkers(app, async (add) => {
    const relay = add(await events.relay());
    const sweeper = add(
      startPeriodic(
        'expire-pending-orders',
        config.ORDER_SWEEP_INTERVAL_MS,
        async () => {
          const expired = await orders.expireStale();
          if (expired) logger.info({ expired }, 'pending orders expired');
        },
        logger,
      ),
    );
    // started last, stopped first: no new events while the jobs and the relay finish
    add(await events.consume(QUEUES.orders, orderSagaHandlers(orders), orderSagaFastPaths(orders)));
    return { relay, sweeper };
  });
  return { app, orders, ...workers };
}
