import { describe, expect, it } from 'vitest';
import { topIndices } from './ranking.js';

describe('topIndices', () => {
  it('keeps the k highest scores, ties at the cut included', () => {
    const scores = Float64Array.from([0.1, 0.9, 0.5, 0.7, 0.3, 0.7, 0.2]);
    expect(topIndices(scores, 3).sort()).toEqual([1, 3, 5]);
    expect(topIndices(scores, 2).sort()).toEqual([1, 3, 5]);
    expect(topIndices(scores, 10)).toHaveLength(7);
  });

  it('agrees with a full sort on random scores', () => {
    const scores = Float64Array.from(
      { length: 5000 },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453),
    );
    const best = [...scores.keys()].sort((a, b) => (scores[b] as number) - (scores[a] as number)).slice(0, 100);
    expect(topIndices(scores, 100).sort((a, b) => a - b)).toEqual(best.sort((a, b) => a - b));
  });
});
