import { describe, expect, it } from 'vitest';
import { latencyWindowLines } from '../../bench/latency-windows.ts';
import { percentile } from '../../bench/percentile.ts';

describe('the latency step by window', () => {
  it('takes the nearest-rank percentile', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(10);
    expect(percentile(sorted, 0.95)).toBe(19);
    expect(percentile(sorted, 1)).toBe(20);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('groups changes by when they became visible and marks the windows a compaction finished in', () => {
    const start = 1_000_000;
    const changes = [
      { latencySeconds: 1.5, visibleAtMs: start + 1_000 },
      { latencySeconds: 2.5, visibleAtMs: start + 9_999 },
      // A window with nothing visible in it is left out; one after it still counts from the step's start.
      { latencySeconds: 4, visibleAtMs: start + 25_000 },
      // Visible just before the step's clock started (a load finishing as it began): the first window.
      { latencySeconds: 0.5, visibleAtMs: start - 10 },
    ];
    const lines = latencyWindowLines(changes, start, [start + 21_000]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\s+0–10\s+s\s+3 changes\s+p50 1\.50 s\s+p95 2\.50 s\s+max 2\.50 s$/);
    expect(lines[1]).toMatch(
      /^\s+20–30\s+s\s+1 changes\s+p50 4\.00 s\s+p95 4\.00 s\s+max 4\.00 s\s+\(a compaction run finished\)$/,
    );
  });
});
