import { randomUUID } from 'node:crypto';
import { eventually } from '@microbazaar/kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveNotice } from '../adapters/live.js';
import { StreamHub } from './streams.js';

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
    client.replay([item(userId, 4), item(userId, 5)], 3);
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

  it('a catch-up writes what each stream missed after its last notice, holds live ones meanwhile, none twice', async () => {
    const h = hub();
    const [u1, u2] = [randomUUID(), randomUUID()];
    const a = h.open(u1);
    const b = h.open(u2);
    const [gotA, gotB] = [frames(a.stream), frames(b.stream)];
    a.replay([], 10);
    b.replay([item(u2, 3)], 2);
    h.deliver([item(u1, 11)]);

    let asked: Map<string, number> | undefined;
    let answer!: (items: LiveNotice[]) => void;
    const done = h.catchUp(
      (from) =>
        new Promise((resolve) => {
          asked = new Map(from);
          answer = resolve;
        }),
    );
    await eventually(() => expect(asked).toBeDefined());
    expect(Object.fromEntries(asked ?? [])).toEqual({ [u1]: 11, [u2]: 3 });
    // live while the database is read: held, then written after what was missed, once
    h.deliver([item(u1, 14), item(u2, 5)]);
    answer([item(u2, 4), item(u1, 12), item(u1, 13), item(u1, 14), item(u2, 5)]);
    await done;
    // the publisher was late: the push of a notice the catch-up already wrote
    h.deliver([item(u1, 13), item(u1, 15)]);
    await new Promise((r) => setImmediate(r));
    const ids = (got: string[]) => got.map((f) => Number(/^id: (\d+)/.exec(f)?.[1]));
    expect(ids(gotA)).toEqual([11, 12, 13, 14, 15]);
    expect(ids(gotB)).toEqual([3, 4, 5]);
    expect(a.lastSeq).toBe(15);
  });

  it('waits for a stream still replaying, and ends the streams when the missed notices cannot be read', async () => {
    const h = hub();
    const userId = randomUUID();
    const client = h.open(userId);
    let read = false;
    const done = h.catchUp(async (from) => {
      read = true;
      expect(from.get(userId)).toBe(7);
      throw new Error('database down');
    });
    // every microtask has run by the next turn of the event loop: a catch-up not waiting would have read by now
    await new Promise((r) => setImmediate(r));
    expect(read).toBe(false);
    client.replay([], 7);
    await expect(done).rejects.toThrow('database down');
    expect(client.closed).toBe(true);
    expect(h.size).toBe(0);
  });
});
