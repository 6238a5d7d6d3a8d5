// The backends of the integration tests: a fresh PostgreSQL database per test file, a Redis key prefix
// per file, a check that each backend answers, and eventually() for effects that take a moment.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import postgres from 'postgres';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const DB_PREFIX = 'mbt_';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database named after the test file; drop() removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `${DB_PREFIX}${Date.now().toString(36)}_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (err) {
    throw new Error(`PostgreSQL at ${TEST_POSTGRES_URL} is not usable for tests: ${(err as Error).message}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Drops test databases left by crashed runs (older than two hours). */
export async function dropStaleTestDatabases(): Promise<void> {
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await admin<
      { datname: string }[]
    >`SELECT datname FROM pg_database WHERE datname LIKE ${`${DB_PREFIX}%`}`;
    const cutoff = Date.now() - 2 * 3600_000;
    for (const { datname } of rows) {
      const born = Number.parseInt(datname.slice(DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(born) && born < cutoff)
        await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

export function uniquePrefix(label: string): string {
  return `test:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Resolves when host:port accepts TCP, rejects with a message naming the backend otherwise. */
export function assertReachable(name: string, url: string, timeoutMs = 3000): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 }[u.protocol]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port, timeout: timeoutMs });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new Error(
          `${name} is not reachable at ${u.hostname}:${port} (${why}). The integration tests need it running; see README "Running the tests".`,
        ),
      );
    };
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (err) => fail(err.message));
  });
}

/** Waits until fn stops throwing or the time runs out (for eventual effects in tests). */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw last;
}

/** Deletes every Redis key under a test's prefix (keys without a TTL would otherwise pile up). */
export async function deleteRedisPrefix(prefix: string, url: string = TEST_REDIS_URL): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(
        cursor,
        'MATCH',
        `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
