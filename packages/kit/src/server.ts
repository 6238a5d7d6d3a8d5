// Listening and graceful shutdown: stop accepting, drain in-flight requests, then close pools.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from './app.js';
import { ConfigError, type Env, exitOnConfigError } from './config.js';
import { startTelemetry, traceRequestsWith } from './telemetry.js';

export interface RunningService {
  name: string;
  url: string;
  /**
   * Readiness answers 503 from now on while requests are still served (and each response closes its
   * connection), so load balancers and the gateway stop sending here before stop() closes the port.
   */
  drain?(): void;
  stop(): Promise<void>;
}

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (in `opts.env`, else the process
 * environment), then listens; stop() drains, closes the backends and flushes the last spans.
 */
export async function listen(
  app: App,
  opts: { name: string; port: number; host: string; onClose?: () => Promise<void>; env?: Env },
): Promise<RunningService> {
  const telemetry = await startTelemetry({
    serviceName: opts.name,
    logger: app.log,
    ...(opts.env ? { env: opts.env } : {}),
  });
  traceRequestsWith(app, telemetry);
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  let stopping: Promise<void> | undefined;
  return {
    name: opts.name,
    url: `http://${shownHost}:${port}`,
    drain() {
      app.draining = true;
    },
    stop() {
      stopping ??= (async () => {
        app.draining = true;
        try {
          await app.close();
          await opts.onClose?.();
        } finally {
          await telemetry.shutdown();
        }
      })();
      return stopping;
    },
  };
}

export interface StopOnSignalsOptions {
  /** how long the drain may take, then exit 1 (counted after the delay) */
  timeoutMs?: number;
  /** marks the service draining (readiness 503) before the delay */
  drain?: (() => void) | undefined;
  /** how long to keep serving with readiness 503 before stop() (DRAIN_DELAY_MS) */
  drainDelayMs?: number;
}

/**
 * On SIGTERM/SIGINT, once: drain() (readiness 503), wait drainDelayMs while requests are still served
 * (the instance leaves every rotation meanwhile), then stop(): exits 0 when done or 1 after timeoutMs.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: { info: (msg: string) => void; error: (o: object, msg: string) => void },
  options: number | StopOnSignalsOptions = {},
): void {
  const {
    timeoutMs = 10_000,
    drain,
    drainDelayMs = 0,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  let started = false;
  const handler = async (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    drain?.();
    if (drain && drainDelayMs > 0) {
      log.info(`${signal} received, readiness 503, draining in ${drainDelayMs} ms`);
      await new Promise((r) => setTimeout(r, drainDelayMs));
    } else {
      log.info(`${signal} received, draining`);
    }
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** True when the module at metaUrl is the process entry point (`tsx services/x/src/main.ts`). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  return metaUrl === pathToFileURL(resolve(entry)).href;
}

/**
 * Entry point of a service process: load and check the configuration (a bad variable exits 1 naming
 * it), start, print the URL; on SIGTERM/SIGINT readiness goes 503 for DRAIN_DELAY_MS, then the service
 * drains within SHUTDOWN_TIMEOUT_MS.
 */
export function runMain<C extends { SHUTDOWN_TIMEOUT_MS: number; DRAIN_DELAY_MS?: number }>(
  loadConfig: () => C,
  start: (config: C) => Promise<RunningService>,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  start(config).then(
    (service) => {
      const log = {
        info: (msg: string) => console.log(`[${service.name}] ${msg}`),
        error: (o: object, msg: string) => console.error(`[${service.name}] ${msg}`, o),
      };
      log.info(`listening on ${service.url}`);
      stopOnSignals(service.stop, log, {
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
        drain: service.drain,
        drainDelayMs: config.DRAIN_DELAY_MS ?? 0,
      });
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        console.error(err.message);
      } else {
        console.error('failed to start:', err);
      }
      process.exit(1);
    },
  );
}
