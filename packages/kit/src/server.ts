// Listening and graceful shutdown: stop accepting, drain in-flight requests, then close pools.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from './app.js';
import { ConfigError, type Env, exitOnConfigError } from './config.js';
import { startTelemetry, traceRequestsWith } from './telemetry.js';

export interface RunningService {
  name: string;
  url: string;
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

/** On SIGTERM/SIGINT runs stop() once, exits 0 when done or 1 after timeoutMs. */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: { info: (msg: string) => void; error: (o: object, msg: string) => void },
  timeoutMs = 10_000,
): void {
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    log.info(`${signal} received, draining`);
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
 * it), start, print the URL, stop on SIGTERM/SIGINT within the configured SHUTDOWN_TIMEOUT_MS.
 */
export function runMain<C extends { SHUTDOWN_TIMEOUT_MS: number }>(
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
      stopOnSignals(service.stop, log, config.SHUTDOWN_TIMEOUT_MS);
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
