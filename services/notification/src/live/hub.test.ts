import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveNotice } from './fanout.js';
import { StreamHub } from './hub.js';

const hubs: StreamHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.closeAll();
});

function hub(maxPerUser = 3) {
  const h = new StreamHub({ pingIntervalMs: 60_000, maxPerUser });
  hubs.push(h);
  return h;
}

const item = (userId: string, seq: number): LiveNotice => ({
  userId,
  seq,
  notice: {
    id: randomUUID(),
    type: 'order.shipped',
    title: `n${seq}`,
    body: '',
    data: {},
    read: false,
    createdAt: new Date().toISOString(),
  },
});

function frames(stream: NodeJS.ReadableStream): string[] {
  const out: string[] = [];
  let buf = '';
  stream.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n\n');
    buf = parts.pop() ?? '';
    out.push(...parts);
  });
  return out;
}

describe('StreamHub', () => {
  it('holds live notices back during the replay and writes each once, in arrival order', async () => {
    const h = hub();
    const userId = randomUUID();
    const client = h.open(userId);
    const got = frames(client.stream);
    h.deliver([item(userId, 5), item(randomUUID(), 6), item(userId, 7)]);
    client.replay([item(userId, 4), item(userId, 5)]);
    h.deliver([item(userId, 8)]);
    await new Promise((r) => setImmediate(r));
    expect(got.map((f) => /^id: (\d+)/.exec(f)?.[1])).toEqual(['4', '5', '7', '8']);
    expect(got[0]).toMatch(/^id: 4\nevent: notification\ndata: \{.*"title":"n4".*\}$/);
  });

  it('closes the oldest stream of a user past the limit, and forgets closed streams', async () => {
    const h = hub(2);
    const userId = randomUUID();
    const [a, b, c] = [h.open(userId), h.open(userId), h.open(userId)];
    expect(a?.closed).toBe(true);
    expect(b?.closed).toBe(false);
    expect(h.size).toBe(2);
    c?.close();
    b?.stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect(h.size).toBe(0);
  });
});
