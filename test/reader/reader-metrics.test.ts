import { describe, expect, it } from 'vitest';
import { METRICS } from '../../core/operations.ts';
import type { MetricPoint } from '../../core/ports/metrics.ts';
import { ReaderMetrics } from '../../reader/reader-metrics.ts';

describe('reader metrics', () => {
  it('gives its figures as metric points with the shared names, counters as deltas since the last call', () => {
    // Prepare
    const metrics = new ReaderMetrics();
    metrics.slotLagBytes = 4096;
    metrics.lagSeconds = 1.5;
    metrics.addReport({ eventCount: 10, recordCount: 2, byteCount: 900, retryCount: 1 });

    // Act
    const first = metrics.points();
    metrics.addReport({ eventCount: 5, recordCount: 1, byteCount: 100, retryCount: 0 });
    const second = metrics.points();

    // Assess
    const values = (points: MetricPoint[]) => Object.fromEntries(points.map((p) => [p.name, p.value]));
    expect(values(first)).toEqual({
      [METRICS.reader.slotLagBytes]: 4096,
      [METRICS.reader.lagSeconds]: 1.5,
      [METRICS.reader.eventsShipped]: 10,
      [METRICS.reader.bytesShipped]: 900,
      [METRICS.reader.putRetries]: 1,
    });
    expect(first.map((p) => p.name).sort()).toEqual(Object.values(METRICS.reader).sort());
    expect(values(second)).toMatchObject({
      [METRICS.reader.eventsShipped]: 5,
      [METRICS.reader.putRetries]: 0,
    });
    expect(first.find((p) => p.name === METRICS.reader.lagSeconds)?.unit).toBe('Seconds');
  });

  it('keeps the peak of the buffered-bytes gauge', () => {
    const metrics = new ReaderMetrics();
    metrics.setBuffered(100);
    metrics.setBuffered(700);
    metrics.setBuffered(50);
    expect(metrics.snapshot('0')).toMatchObject({ bufferedBytes: 50, peakBufferedBytes: 700 });
  });
});
