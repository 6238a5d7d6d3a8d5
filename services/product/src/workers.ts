// The product service's background work: the outbox relay, the inventory_queue consumer (through the
// inbox) and the reservation expiry sweeper. Started by main.ts after the HTTP app is built.
import { QUEUES } from '@microbazaar/contracts';
import {
  type Bus,
  type BusMetrics,
  type Db,
  fastPathsFrom,
  type Logger,
  type OutboxRelay,
  outboxOptionsFrom,
  retryPolicyFrom,
  type Subscription,
  startOutboxRelay,
  subscribeWithInbox,
} from '@microbazaar/kit';
import type { ProductConfig } from './config.js';
import type { InventoryHandlers } from './events/handlers.js';

export interface ReservationSweeper {
  /** Runs a sweep now (and waits for it). */
  sweepNow(): Promise<void>;
  stop(): Promise<void>;
}

const SWEEP_BATCH = 100;

/** Releases expired reservations every intervalMs, in batches; several instances may sweep at once. */
export function startReservationSweeper(opts: {
  db: Db;
  inventory: Pick<InventoryHandlers, 'releaseExpiredReservations'>;
  intervalMs: number;
  logger: Logger;
  now?: () => Date;
}): ReservationSweeper {
  const now = opts.now ?? (() => new Date());
  let running: Promise<void> | undefined;
  let stopped = false;
  const sweep = async () => {
    let released: number;
    do {
      released = await opts.db.transaction((tx) => opts.inventory.releaseExpiredReservations(tx, now(), SWEEP_BATCH));
      if (released) opts.logger.info({ released }, 'expired reservations released');
    } while (released === SWEEP_BATCH && !stopped);
  };
  const tick = () => {
    if (stopped) return running;
    running ??= sweep()
      .catch((err: unknown) => opts.logger.warn({ err }, 'reservation sweep failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    async sweepNow() {
      await running;
      await tick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export interface Workers {
  relay: OutboxRelay;
  inventoryConsumer: Subscription;
  sweeper: ReservationSweeper;
  stop(): Promise<void>;
}

export async function startWorkers(opts: {
  config: ProductConfig;
  db: Db;
  bus: Bus;
  logger: Logger;
  metrics?: BusMetrics;
  inventory: InventoryHandlers;
  now?: () => Date;
}): Promise<Workers> {
  const { config, db, bus, logger, metrics } = opts;
  const relay = await startOutboxRelay({
    db,
    bus,
    logger,
    ...(metrics ? { metrics } : {}),
    ...outboxOptionsFrom(config),
  });
  let inventoryConsumer: Subscription;
  try {
    inventoryConsumer = await subscribeWithInbox({
      bus,
      db,
      queue: QUEUES.inventory,
      handlers: opts.inventory.handlers,
      fastPaths: fastPathsFrom(config, opts.inventory.fastPaths),
      logger,
      ...(metrics ? { metrics } : {}),
      ...retryPolicyFrom(config),
    });
  } catch (err) {
    await relay.stop();
    throw err;
  }
  const sweeper = startReservationSweeper({
    db,
    inventory: opts.inventory,
    intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
    logger,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    relay,
    inventoryConsumer,
    sweeper,
    async stop() {
      // no new deliveries, then no new sweeps, then the relay publishes what is left and stops
      await inventoryConsumer.close();
      await sweeper.stop();
      await relay.flush().catch(() => 0);
      await relay.stop();
    },
  };
}
