import { describe, expect, it } from 'vitest';
import { DurablePosition } from '../../reader/durable-position.ts';

describe('DurablePosition', () => {
  it('only moves forward, telling its listener each time it does', () => {
    const seen: bigint[] = [];
    const position = new DurablePosition(100n, (lsn) => seen.push(lsn));

    expect(position.advance(50n)).toBe(100n);
    expect(position.advance(100n)).toBe(100n);
    expect(position.advance(180n)).toBe(180n);
    expect(position.advance(120n)).toBe(180n);

    expect(position.lsn).toBe(180n);
    expect(seen).toEqual([180n]);
  });
});
