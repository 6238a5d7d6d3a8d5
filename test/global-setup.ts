// Before any test file: the real backends must answer, or the run fails naming the missing one.
import {
  assertReachable,
  dropStaleTestDatabases,
  TEST_POSTGRES_URL,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
} from '@microbazaar/kit/testing';

export default async function setup(): Promise<void> {
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
