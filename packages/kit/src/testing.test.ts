import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertReachable } from './testing.js';

describe('assertReachable', () => {
  it('fails with a message naming the backend when nothing listens', async () => {
    await expect(assertReachable('RabbitMQ', 'amqp://guest:guest@127.0.0.1:1')).rejects.toThrow(
      /RabbitMQ is not reachable at 127\.0\.0\.1:1/,
    );
  });

  it('resolves when the port accepts connections', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await expect(assertReachable('Redis', `redis://127.0.0.1:${port}`)).resolves.toBeUndefined();
    server.close();
  });
});
