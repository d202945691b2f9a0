import { describe, expect, it } from 'vitest';
import { EVERY_KEY, keyRanges } from '../../loader/key-ranges.ts';

describe('keyRanges', () => {
  it('reads an empty window, one that fits, or one on an engine without ranges in one query', () => {
    expect(keyRanges(null, 100)).toEqual([EVERY_KEY]);
    expect(keyRanges({ min: 1n, max: 1_000n, versions: 100 }, 100)).toEqual([EVERY_KEY]);
    expect(keyRanges({ min: 1n, max: 1_000n, versions: 5_000 }, undefined)).toEqual([EVERY_KEY]);
  });

  it('covers every key of the span once, in ascending ranges of about rangeRows versions each', () => {
    const ranges = keyRanges({ min: 11n, max: 1_010n, versions: 2_500 }, 1_000);

    expect(ranges).toEqual([
      { from: 11n, to: 344n },
      { from: 345n, to: 678n },
      { from: 679n, to: 1_010n },
    ]);
  });

  it('gives a span of one key one range, however many versions it holds', () => {
    expect(keyRanges({ min: 7n, max: 7n, versions: 10_000 }, 10)).toEqual([{ from: 7n, to: 7n }]);
  });
});
