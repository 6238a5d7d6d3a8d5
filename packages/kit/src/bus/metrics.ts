// Event counters and the outbox lag gauge, registered once per service registry (app.metrics.registry).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../db.js';

export interface BusMetrics {
  published(type: string, count?: number): void;
  consumed(queue: string, type: string, outcome: 'handled' | 'skipped'): void;
  retried(queue: string, type: string): void;
  /** a delivery kept in hand and tried again because the database was unavailable (once per delivery) */
  held?(queue: string, type: string): void;
  deadLettered(queue: string, type: string, reason: string): void;
  /** a fast path made its change (true) or fell back to the transactional handler (false) */
  fastPath(queue: string, type: string, applied: boolean): void;
  /** seconds from the event's occurredAt to the end of its handling */
  delivered(queue: string, seconds: number): void;
  /** Reports outbox_pending_events and outbox_lag_seconds for this service's outbox at each scrape. */
  trackOutbox(db: Db): void;
}

const perRegistry = new WeakMap<Registry, BusMetrics>();

/** The bus metrics of a registry (created on first use, shared by the relay and every consumer). */
export function busMetrics(registry: Registry): BusMetrics {
  const existing = perRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const published = new Counter({
    name: 'events_published_total',
    help: 'Events confirmed by the broker, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const consumed = new Counter({
    name: 'events_consumed_total',
    help: 'Events consumed and acked, by queue, type and outcome (handled, skipped)',
    labelNames: ['queue', 'type', 'outcome'] as const,
    registers,
  });
  const retried = new Counter({
    name: 'events_retried_total',
    help: 'Handler failures sent for a delayed retry, by queue and type',
    labelNames: ['queue', 'type'] as const,
    registers,
  });
  const held = new Counter({
    name: 'events_held_total',
    help: 'Deliveries whose handler found the database unavailable: kept and tried again until it is back, no attempt used (by queue and type)',
    labelNames: ['queue', 'type'] as const,
    registers,
  });
  const deadLettered = new Counter({
    name: 'events_dead_lettered_total',
    help: 'Messages moved to <queue>.dlq, by queue, type and reason (handler_failed, invalid_message, consumer_died)',
    labelNames: ['queue', 'type', 'reason'] as const,
    registers,
  });
  const fastPaths = new Counter({
    name: 'events_fast_path_total',
    help: 'Deliveries tried on a one-statement fast path, by queue, type and result (applied, fell_back)',
    labelNames: ['queue', 'type', 'result'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'events_delivery_latency_seconds',
    help: 'From the event occurring to its handler committing, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  let outboxDb: Db | undefined;
  let outboxStats: Promise<{ pending: number; lag: number }> | undefined;
  // one query per scrape, shared by both gauges
  const readOutbox = () => {
    if (!outboxDb) return Promise.resolve({ pending: 0, lag: 0 });
    outboxStats ??= outboxDb
      .query<{ pending: number; lag: number | null }>(
        `SELECT count(*)::int AS pending,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS lag
           FROM outbox WHERE sent_at IS NULL`,
      )
      .then((rows) => ({ pending: Number(rows[0]?.pending ?? 0), lag: Number(rows[0]?.lag ?? 0) }))
      .catch(() => ({ pending: Number.NaN, lag: Number.NaN }))
      .finally(() => {
        setTimeout(() => {
          outboxStats = undefined;
        }, 100).unref();
      });
    return outboxStats;
  };
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox rows not yet confirmed by the broker',
    registers,
    async collect() {
      this.set((await readOutbox()).pending);
    },
  });
  new Gauge({
    name: 'outbox_lag_seconds',
    help: 'Age of the oldest outbox row not yet published (0 when none)',
    registers,
    async collect() {
      this.set((await readOutbox()).lag);
    },
  });
  const metrics: BusMetrics = {
    published: (type, count = 1) => published.inc({ type }, count),
    consumed: (queue, type, outcome) => consumed.inc({ queue, type, outcome }),
    retried: (queue, type) => retried.inc({ queue, type }),
    held: (queue, type) => held.inc({ queue, type }),
    deadLettered: (queue, type, reason) => deadLettered.inc({ queue, type, reason }),
    fastPath: (queue, type, applied) => fastPaths.inc({ queue, type, result: applied ? 'applied' : 'fell_back' }),
    delivered: (queue, seconds) => {
      if (Number.isFinite(seconds) && seconds >= 0) latency.observe({ queue }, seconds);
    },
    trackOutbox: (db) => {
      outboxDb = db;
    },
  };
  perRegistry.set(registry, metrics);
  return metrics;
}

/** A BusMetrics that records nothing (when no registry is given). */
export const noBusMetrics: BusMetrics = {
  published() {},
  consumed() {},
  retried() {},
  deadLettered() {},
  fastPath() {},
  delivered() {},
  trackOutbox() {},
};
