import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRenderer } from './renditions.js';

const options = { maxPixels: 40_000_000, thumbnailSize: 64, mediumSize: 128 };
const picture = (width: number) =>
  sharp({ create: { width, height: 80, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .png()
    .toBuffer();

describe('createRenderer', () => {
  it('processes one image at a time with concurrency 1, whatever arrives at once, in arrival order', async () => {
    const renderer = createRenderer({ concurrency: 1, threads: 0 });
    const finished: number[] = [];
    const widths = [300, 200, 100, 250, 150];
    const bodies = await Promise.all(widths.map(picture));
    const results = await Promise.all(
      bodies.map((body, i) =>
        renderer.process(body, `${i}.png`, options).then((r) => {
          finished.push(i);
          return r;
        }),
      ),
    );
    expect(results.map((r) => r.original.width)).toEqual(widths);
    expect(renderer.peak).toBe(1);
    expect(renderer.active).toBe(0);
    // one at a time: each finished before the next one started
    expect(finished).toEqual([0, 1, 2, 3, 4]);
  });

  it('never runs more than its concurrency, and frees a slot when an image is refused', async () => {
    const renderer = createRenderer({ concurrency: 2, threads: 0 });
    const good = await picture(120);
    const jobs = [good, Buffer.from('not an image'), good, good, good].map((body, i) =>
      renderer.process(body, `${i}.png`, options).then(
        () => 'ok',
        (err: { statusCode?: number }) => err.statusCode,
      ),
    );
    expect(await Promise.all(jobs)).toEqual(['ok', 415, 'ok', 'ok', 'ok']);
    expect(renderer.peak).toBeLessThanOrEqual(2);
    expect(renderer.active).toBe(0);
  });
});
