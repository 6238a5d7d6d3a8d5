// Bus configuration every service spreads into its env schema, and the factory that picks RabbitMQ or memory.
import { type TProperties, Type } from '@sinclair/typebox';
import { list } from '../config.js';
import type { Logger } from '../logger.js';
import { type MemoryBroker, MemoryBus } from './memory.js';
import { RabbitBus } from './rabbitmq.js';
import { type Bus, DEFAULT_RETRY_POLICY, type RetryPolicy } from './types.js';

export const BusEnv = {
  /** RabbitMQ URL; unset = the in-memory bus (one process only). */
  RABBITMQ_URL: Type.Optional(Type.String({ pattern: '^amqps?://' })),
  /** unacked deliveries in flight per consumer (handlers run concurrently up to this) */
  BUS_PREFETCH: Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_RETRY_POLICY.prefetch }),
  /** deliveries of a failing message before it goes to <queue>.dlq */
  BUS_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_RETRY_POLICY.maxAttempts }),
  /** delays before retry 1, 2, ... (the last repeats), comma-separated milliseconds */
  BUS_RETRY_DELAYS_MS: Type.String({
    pattern: '^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$',
    default: DEFAULT_RETRY_POLICY.retryDelaysMs.join(','),
  }),
  /** prepended to every exchange and queue name: several platforms (or test runs) on one broker */
  BUS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_.-]*$' }),
  /** how long a publish waits for the broker (connection + confirms) before failing */
  BUS_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * false: every event goes through the transactional inbox handler, the one-statement fast paths of
   * the saga steps are off (for comparing both ways, or ruling the fast paths out when diagnosing)
   */
  INBOX_FAST_PATHS: Type.Boolean({ default: true }),
  /** rows the outbox relay publishes per confirmed batch */
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /** the sweep that republishes rows whose wake-up was missed */
  OUTBOX_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, default: 1000 }),
  /** sent outbox rows are kept this long (0 = forever) */
  OUTBOX_RETENTION_HOURS: Type.Integer({ minimum: 0, default: 24 }),
} satisfies TProperties;

export interface BusConfig {
  RABBITMQ_URL?: string | undefined;
  BUS_PREFETCH: number;
  BUS_MAX_ATTEMPTS: number;
  BUS_RETRY_DELAYS_MS: string;
  BUS_PUBLISH_TIMEOUT_MS: number;
  BUS_PREFIX?: string;
  INBOX_FAST_PATHS?: boolean;
  OUTBOX_BATCH_SIZE: number;
  OUTBOX_SWEEP_INTERVAL_MS: number;
  OUTBOX_RETENTION_HOURS: number;
}

export function retryPolicyFrom(config: BusConfig): RetryPolicy {
  return {
    prefetch: config.BUS_PREFETCH,
    maxAttempts: config.BUS_MAX_ATTEMPTS,
    retryDelaysMs: list(config.BUS_RETRY_DELAYS_MS).map(Number),
  };
}

/**
 * The fast paths a consumer takes, or none when INBOX_FAST_PATHS is off:
 * `subscribeWithInbox({ ..., fastPaths: fastPathsFrom(config, orderSagaFastPaths(orders)) })`.
 */
export function fastPathsFrom<T>(config: BusConfig, fastPaths: T): T | undefined {
  return config.INBOX_FAST_PATHS === false ? undefined : fastPaths;
}

/** Relay options from the config: spread into startOutboxRelay({ db, bus, ...outboxOptionsFrom(config) }). */
export function outboxOptionsFrom(config: BusConfig) {
  return {
    batchSize: config.OUTBOX_BATCH_SIZE,
    sweepIntervalMs: config.OUTBOX_SWEEP_INTERVAL_MS,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
  };
}

export interface OpenBusOptions {
  /** service name: the RabbitMQ connection name */
  name: string;
  logger?: Logger;
  /** the embedded platform's broker (SharedDeps.bus), used when RABBITMQ_URL is unset */
  shared?: MemoryBroker | undefined;
  /** prepended to exchange and queue names; default the config's BUS_PREFIX */
  prefix?: string;
}

/** RabbitMQ when RABBITMQ_URL is set, else the shared in-memory broker (or a private one). */
export function openBus(config: BusConfig, opts: OpenBusOptions): Bus {
  const policy = retryPolicyFrom(config);
  const prefix = opts.prefix ?? config.BUS_PREFIX;
  const common = {
    policy,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(prefix ? { prefix } : {}),
  };
  if (config.RABBITMQ_URL) {
    return new RabbitBus({
      url: config.RABBITMQ_URL,
      name: opts.name,
      publishTimeoutMs: config.BUS_PUBLISH_TIMEOUT_MS,
      ...common,
    });
  }
  return new MemoryBus({ ...common, ...(opts.shared ? { broker: opts.shared } : {}) });
}
