import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { createLogger } from './logger.js';
import { startWorkers } from './workers.js';

const app = () => createApp({ name: 'workers-test', logger: createLogger('workers-test', 'silent'), openapi: false });

describe('startWorkers', () => {
  it('stops the workers newest first when the app closes', async () => {
    const stopped: string[] = [];
    const a = await app();
    const started = await startWorkers(a, async (add) => {
      const relay = add({ stop: async () => void stopped.push('relay') });
      add({ stop: async () => void stopped.push('sweeper') });
      add({ close: async () => void stopped.push('consumer') });
      return { relay };
    });
    expect(started.relay).toBeDefined();
    expect(stopped).toEqual([]);
    await a.close();
    expect(stopped).toEqual(['consumer', 'sweeper', 'relay']);
  });

  it('stops what it started when a later worker fails to start, and rethrows', async () => {
    const stopped: string[] = [];
    const a = await app();
    await expect(
      startWorkers(a, async (add) => {
        add({ stop: async () => void stopped.push('relay') });
        throw new Error('broker unreachable');
      }),
    ).rejects.toThrow('broker unreachable');
    expect(stopped).toEqual(['relay']);
    await a.close();
    expect(stopped).toEqual(['relay']);
  });
});
