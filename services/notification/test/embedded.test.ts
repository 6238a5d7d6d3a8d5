// startNotification as the embedded platform runs it: PGlite, the shared in-memory broker and cache, mails as .eml files.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryBroker,
  MemoryBus,
  MemoryCache,
  newEvent,
  PgliteHost,
  type RunningService,
  type SharedDeps,
} from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startNotification } from '../src/main.js';
import { startJwks, user } from './harness.js';

let jwks: Awaited<ReturnType<typeof startJwks>>;
let shared: SharedDeps & { pglite: PgliteHost; bus: MemoryBroker; cache: MemoryCache };
let service: RunningService;
let dataDir: string;
/** another service of the same process publishing on the shared broker */
let publisher: MemoryBus;

beforeAll(async () => {
  jwks = await startJwks();
  dataDir = mkdtempSync(join(tmpdir(), 'mbt-notification-embedded-'));
  shared = {
    pglite: await PgliteHost.open(join(dataDir, 'pglite')),
    bus: new MemoryBroker(),
    cache: new MemoryCache(),
  };
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    AUTH_JWKS_URL: jwks.url,
    DEMO_DATA: 'true',
  });
  expect(config.DATABASE_URL).toBeUndefined();
  service = await startNotification(config, shared);
  publisher = new MemoryBus({ broker: shared.bus });
});

afterAll(async () => {
  await service?.stop();
  await publisher?.close();
  await shared?.bus.close();
  await shared?.cache.close();
  await shared?.pglite.close();
  await jwks?.close();
});

it('consumes from the shared broker, stores notices in PGlite and writes the welcome mail under DATA_DIR/mail', async () => {
  const ready = await fetch(`${service.url}/health/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ checks: { db: 'ok', cache: 'ok', bus: 'ok' } });

  const u = user();
  await publisher.publish([newEvent('user.registered', { userId: u.id, email: u.email, name: 'Ada' })]);
  const headers = { authorization: `Bearer ${await jwks.sign({ sub: u.id, email: u.email })}` };
  await eventually(async () => {
    const res = await fetch(`${service.url}/api/notifications/dev/mail`, { headers });
    const { items } = (await res.json()) as { items: { to: string; subject: string }[] };
    expect(items).toEqual([expect.objectContaining({ to: u.email, subject: 'Welcome to microBazaar' })]);
  }, 15_000);
  const files = readdirSync(join(dataDir, 'mail')).filter((f) => f.endsWith('.eml'));
  expect(files).toHaveLength(1);
  expect(readFileSync(join(dataDir, 'mail', files[0] as string), 'utf8')).toContain(`To: ${u.email}`);

  const list = await fetch(`${service.url}/api/notifications`, { headers });
  expect(((await list.json()) as { items: { type: string }[] }).items).toEqual([
    expect.objectContaining({ type: 'user.registered' }),
  ]);
}, 30_000);
