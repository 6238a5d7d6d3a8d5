// Before any test file: the real backends must answer, or the run fails naming the missing one.
import {
  assertReachable,
  dropStaleTestDatabases,
  TEST_POSTGRES_URL,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
} from '@microbazaar/kit/testing';
import { ensureWebBuild } from '@microbazaar/web/tools/build';
import { assertChromium } from '../apps/web/test/e2e/harness.js';

export default async function setup(): Promise<void> {
  // the browser tests need Debian's Chromium: say so at once rather than after minutes of other tests
  assertChromium();
  // one build for every test file that starts `npm start` (each would otherwise race to build it)
  const web = await ensureWebBuild();
  if (web.built) console.log(`web app built in ${(web.ms / 1000).toFixed(1)} s`);
  const results = await Promise.allSettled([
    assertReachable('PostgreSQL', TEST_POSTGRES_URL),
    assertReachable('Redis', TEST_REDIS_URL),
    assertReachable('RabbitMQ', TEST_RABBITMQ_URL),
  ]);
  const failures = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason as Error).message);
  if (failures.length) throw new Error(`Test backends missing:\n  ${failures.join('\n  ')}`);
  await dropStaleTestDatabases();
}
