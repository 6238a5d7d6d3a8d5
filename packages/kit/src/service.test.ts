import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { BusEnv } from './bus/config.js';
import { MemoryBroker } from './bus/memory.js';
import { CommonEnv, loadEnv } from './config.js';
import type { Db } from './db.js';
import { createLogger } from './logger.js';
import { createServiceApp, runService, serviceMigrations } from './service.js';
import { createTestDatabase, type TestDatabase } from './testing.js';
import { startWorkers } from './workers.js';

const ConfigSchema = Type.Object({ ...CommonEnv, ...BusEnv, PORT: Type.Integer({ default: 0 }) });

let database: TestDatabase;
const folder = mkdtempSync(join(tmpdir(), 'mbt-runner-'));
writeFileSync(join(folder, '0001_create_things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);');
const migrations = serviceMigrations(folder);

beforeAll(async () => {
  database = await createTestDatabase('runner');
});
afterAll(() => database?.drop());

const config = () =>
  loadEnv(ConfigSchema, { DATABASE_URL: database.url, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' });

describe('runService', () => {
  it('opens, migrates and hands the backends to build, listens, and closes newest first on stop', async () => {
    const closed: string[] = [];
    const broker = new MemoryBroker();
    const started = await runService({
      name: 'runner',
      config: config(),
      shared: { bus: broker },
      db: { schema: 'runner_a', migrations },
      bus: true,
      build: async ({ db, bus, closeWith }) => {
        // the kit's outbox and the service's own table are there before build runs
        await db.query('SELECT count(*) FROM outbox');
        await db.query('INSERT INTO things (id) VALUES (1)');
        // an adapter closes after the app and its workers, while the database is still open
        closeWith({ close: async () => void closed.push(`adapter (db open: ${await db.ping().then(() => true)})`) });
        const { app } = await createServiceApp({
          name: 'runner',
          description: 'a test service',
          config: config(),
          logger: createLogger('runner', 'silent'),
          readiness: { db: () => db.ping(), bus: () => bus.ping() },
          verifier: { verify: async () => ({ userId: 'u', role: 'customer' as const, email: 'e', exp: 0 }) },
        });
        await startWorkers(app, async (add) => {
          add({ stop: async () => void closed.push('worker') });
        });
        return { app, db };
      },
    });
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = await fetch(`${started.url}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { db: 'ok', bus: 'ok' } });
    // SIGTERM with DRAIN_DELAY_MS: readiness says 503 while requests are still served, each on a closing connection
    started.drain?.();
    const draining = await fetch(`${started.url}/health/ready`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ checks: { shutdown: 'draining' } });
    const served = await new Promise<{ status?: number; connection?: string }>((resolve, reject) =>
      get(`${started.url}/health/live`, (res) => {
        res.resume();
        resolve({ status: res.statusCode, connection: res.headers.connection });
      }).on('error', reject),
    );
    expect(served).toEqual({ status: 200, connection: 'close' });
    await started.stop();
    expect(closed).toEqual(['worker', 'adapter (db open: true)']);
    await expect(started.service.db.query('SELECT 1')).rejects.toThrow();
    await broker.close();
  });

  it('a start that fails closes what it had opened and rethrows', async () => {
    const closed: string[] = [];
    let seenDb: Db | undefined;
    await expect(
      runService({
        name: 'runner',
        config: config(),
        db: { schema: 'runner_b', migrations },
        build: async ({ db, closeWith }) => {
          seenDb = db;
          closeWith({ close: async () => void closed.push('adapter') });
          throw new Error('provider misconfigured');
        },
      }),
    ).rejects.toThrow('provider misconfigured');
    expect(closed).toEqual(['adapter']);
    await expect(seenDb?.query('SELECT 1')).rejects.toThrow();
  });

  it('names the option a service forgot when build reaches for a backend it did not ask for', async () => {
    await expect(
      runService({
        name: 'runner',
        config: config(),
        build: async ({ cache }) => {
          cache.get('x');
          throw new Error('unreachable');
        },
      }),
    ).rejects.toThrow("runner did not ask runService for a cache: add `cache: { prefix: '<name>:' }` to its spec");
  });

  it('runs a service that keeps no database and no bus (the gateway): only the cache it asked for', async () => {
    let reached: string | undefined;
    const started = await runService({
      name: 'edge',
      config: config(),
      cache: { prefix: 'edge:' },
      build: async (backends) => {
        const { logger, cache } = backends;
        await cache.set('seen', '1', 60_000);
        try {
          void backends.db;
        } catch (err) {
          reached = (err as Error).message;
        }
        const app = await createApp({ name: 'edge', logger, readiness: { cache: () => cache.ping() } });
        return { app, cache };
      },
    });
    expect(reached).toMatch(/edge did not ask runService for a database/);
    const ready = await fetch(`${started.url}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { cache: 'ok' } });
    expect(await started.service.cache.get('seen')).toBe('1');
    await started.stop();
    await expect(fetch(`${started.url}/health/live`)).rejects.toThrow();
  });
});
