/** The MetricsPublisher contract against the memory double, and what the local runs' publisher promises. */
import { describe, expect, it } from 'vitest';
import { UNPUBLISHED_METRICS } from '../../core/ports/metrics.ts';
import { memoryMetrics } from '../../testing/memory-operations.ts';
import { describeMetricsPublisherContract } from './metrics-publisher-contract.ts';

describeMetricsPublisherContract('memoryMetrics (the test double)', () => {
  const { metrics, published } = memoryMetrics('totesys-test');
  return { metrics, service: 'totesys-test', published: () => [...published] };
});

describe('UNPUBLISHED_METRICS (local runs, where status reads the figures from the StateStore and the warehouse)', () => {
  it('takes every point without throwing and sends none anywhere', () => {
    const writes: unknown[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      expect(() =>
        UNPUBLISHED_METRICS.publish([
          { name: 'ReaderRuns', unit: 'Count', value: 1, dimensions: { Table: 'staff' } },
        ]),
      ).not.toThrow();
    } finally {
      process.stdout.write = write;
    }
    expect(writes).toEqual([]);
  });
});
