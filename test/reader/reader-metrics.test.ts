import { describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE, METRICS } from '../../core/operations.ts';
import { ReaderMetrics } from '../../reader/reader-metrics.ts';

describe('reader metrics', () => {
  it('logs CloudWatch embedded metric format with the shared names, counters as deltas since the last line', () => {
    const metrics = new ReaderMetrics();
    metrics.slotLagBytes = 4096;
    metrics.lagSeconds = 1.5;
    metrics.addReport({ eventCount: 10, recordCount: 2, byteCount: 900, retryCount: 1 });
    const now = new Date('2026-11-22T12:00:00.000Z');

    const first = metrics.logLine('emf', '123', now);
    metrics.addReport({ eventCount: 5, recordCount: 1, byteCount: 100, retryCount: 0 });
    const second = metrics.logLine('emf', '456', now);

    expect(first).toMatchObject({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]] }],
      },
      [METRICS.reader.slotLagBytes]: 4096,
      [METRICS.reader.lagSeconds]: 1.5,
      [METRICS.reader.eventsShipped]: 10,
      [METRICS.reader.bytesShipped]: 900,
      [METRICS.reader.putRetries]: 1,
    });
    const declared = (first._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] })
      .CloudWatchMetrics[0]!.Metrics;
    expect(declared.map((metric) => metric.Name).sort()).toEqual(Object.values(METRICS.reader).sort());
    expect(second).toMatchObject({ [METRICS.reader.eventsShipped]: 5, [METRICS.reader.putRetries]: 0 });
  });

  it('keeps the peak of the buffered-bytes gauge', () => {
    const metrics = new ReaderMetrics();
    metrics.setBuffered(100);
    metrics.setBuffered(700);
    metrics.setBuffered(50);
    expect(metrics.snapshot('0')).toMatchObject({ bufferedBytes: 50, peakBufferedBytes: 700 });
  });
});
