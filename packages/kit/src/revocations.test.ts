// RevocationList: when it refreshes, when it waits, and when it refuses to judge (503).
import { describe, expect, it } from 'vitest';
import { Unauthorized, Unavailable } from './errors.js';
import { RevocationList, type RevocationPage, type RevocationSource } from './revocations.js';

/** A feed whose answers the test sets, counting the calls, on a clock the test moves. */
function setup() {
  const clock = { now: 0 };
  const feed = {
    calls: [] as Array<string | undefined>,
    down: false,
    /** while set, answers wait for it */
    hold: undefined as Promise<void> | undefined,
    page: { cursor: 'c1', revocations: [] } as RevocationPage,
  };
  const source: RevocationSource = {
    async fetch(cursor) {
      feed.calls.push(cursor);
      await feed.hold;
      if (feed.down) throw new Error('auth is down');
      return feed.page;
    },
  };
  const list = new RevocationList({ source, now: () => clock.now });
  return { clock, feed, list };
}

const ann = (tokenVersion: number) => ({ userId: 'ann', tokenVersion });

describe('RevocationList', () => {
  it('reads the whole list first, then changes since its cursor, and a whole list again each minute', async () => {
    const { clock, feed, list } = setup();
    await list.check(ann(0));
    expect(feed.calls).toEqual([undefined]);
    feed.page = { cursor: 'c2', revocations: [{ userId: 'ann', version: 1 }] };
    clock.now = 2500;
    await expect(list.check(ann(0))).rejects.toMatchObject({ statusCode: 401, code: 'TOKEN_REVOKED' });
    expect(feed.calls).toEqual([undefined, 'c1']);
    await expect(list.check(ann(1))).resolves.toBeUndefined();
    clock.now = 61_000;
    feed.page = { cursor: 'c3', revocations: [] };
    await list.check(ann(0));
    expect(feed.calls).toEqual([undefined, 'c1', undefined]);
    // a full list replaces what the verifier knew: ann's revocation has aged out of it
    await expect(list.check(ann(0))).resolves.toBeUndefined();
  });

  it('refreshes in the background within 2 s of the last refresh, and waits for it after', async () => {
    const { clock, feed, list } = setup();
    await list.check(ann(0));
    feed.page = { cursor: 'c2', revocations: [{ userId: 'ann', version: 1 }] };
    clock.now = 500;
    await list.check(ann(0));
    expect(feed.calls).toHaveLength(1);
    clock.now = 1500;
    let release = () => {};
    feed.hold = new Promise((resolve) => {
      release = resolve;
    });
    // judged on the list it has while a refresh runs behind
    await expect(list.check(ann(0))).resolves.toBeUndefined();
    expect(feed.calls).toHaveLength(2);
    release();
    await list.refresh();
    await expect(list.check(ann(0))).rejects.toBeInstanceOf(Unauthorized);
  });

  it('keeps judging with its list for 30 s when the feed fails, then answers 503', async () => {
    const { clock, feed, list } = setup();
    feed.page = { cursor: 'c1', revocations: [{ userId: 'ann', version: 2 }] };
    await list.check(ann(2));
    feed.down = true;
    clock.now = 5000;
    await expect(list.check(ann(1))).rejects.toBeInstanceOf(Unauthorized);
    await expect(list.check(ann(2))).resolves.toBeUndefined();
    // failures are retried at most once a second, not once per request
    const calls = feed.calls.length;
    await list.check(ann(2));
    expect(feed.calls.length).toBe(calls);
    clock.now = 30_000;
    await expect(list.check(ann(2))).rejects.toBeInstanceOf(Unavailable);
    feed.down = false;
    clock.now = 31_500;
    await expect(list.check(ann(2))).resolves.toBeUndefined();
  });

  it('never judges without a first list: 503 when the feed cannot be read', async () => {
    const { feed, list } = setup();
    feed.down = true;
    await expect(list.check(ann(0))).rejects.toMatchObject({ statusCode: 503, code: 'AUTH_REVOCATIONS_UNAVAILABLE' });
  });

  it('shares one refresh between concurrent requests', async () => {
    const { feed, list } = setup();
    await Promise.all(Array.from({ length: 20 }, () => list.check(ann(0))));
    expect(feed.calls).toHaveLength(1);
  });
});
