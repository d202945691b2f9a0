/**
 * @module
 * The MetricsPublisher contract (core/ports/metrics.ts) as a test suite every publisher runs: each reads back
 * what it published as points with their namespace, dimensions and timestamp. One test per clause: each point
 * exactly once under the namespace and the service dimension plus its own, timestamped at the call; counters
 * as deltas; publishing never throws.
 */
import { describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE } from '../../core/operations.ts';
import type { MetricsPublisher, MetricUnit } from '../../core/ports/metrics.ts';

/** One value as the metrics service receives it. */
export interface PublishedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  /** Every dimension the value carries, the publisher's `service` included. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** A publisher under test, for the service `service`, and what it published so far. */
export interface MetricsPublisherUnderTest {
  readonly metrics: MetricsPublisher;
  readonly service: string;
  published(): PublishedMetric[];
}

/** Runs the contract against publishers from `fresh`, each having published nothing yet. */
export function describeMetricsPublisherContract(name: string, fresh: () => MetricsPublisherUnderTest): void {
  describe(`${name} (MetricsPublisher contract)`, () => {
    it('publishes each point of a call exactly once, under the namespace and the service dimension plus its own', () => {
      const { metrics, service, published } = fresh();

      metrics.publish([
        { name: 'ReaderLagSeconds', unit: 'Seconds', value: 2.5 },
        { name: 'WarehouseRowsLoaded', unit: 'Count', value: 7, dimensions: { Table: 'fact_sales_order' } },
        { name: 'WarehouseRowsLoaded', unit: 'Count', value: 3, dimensions: { Table: 'dim_staff' } },
        { name: 'SpoolBytes', unit: 'Bytes', value: 4096 },
      ]);

      const points = published().map(({ timestampMs: _, ...point }) => point);
      const sorted = (list: typeof points) =>
        [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(sorted(points)).toEqual(
        sorted([
          {
            namespace: METRIC_NAMESPACE,
            name: 'ReaderLagSeconds',
            unit: 'Seconds',
            value: 2.5,
            dimensions: { service },
          },
          {
            namespace: METRIC_NAMESPACE,
            name: 'WarehouseRowsLoaded',
            unit: 'Count',
            value: 7,
            dimensions: { service, Table: 'fact_sales_order' },
          },
          {
            namespace: METRIC_NAMESPACE,
            name: 'WarehouseRowsLoaded',
            unit: 'Count',
            value: 3,
            dimensions: { service, Table: 'dim_staff' },
          },
          {
            namespace: METRIC_NAMESPACE,
            name: 'SpoolBytes',
            unit: 'Bytes',
            value: 4096,
            dimensions: { service },
          },
        ]),
      );
    });

    it('timestamps every point at the call', () => {
      const { metrics, published } = fresh();
      const before = Date.now();
      metrics.publish([{ name: 'ReaderRuns', unit: 'Count', value: 1 }]);
      const after = Date.now();
      for (const point of published()) {
        expect(point.timestampMs).toBeGreaterThanOrEqual(before);
        expect(point.timestampMs).toBeLessThanOrEqual(after);
      }
      expect(published()).toHaveLength(1);
    });

    it('publishes counters as deltas: each call its own value, the same name twice in a call twice', () => {
      const { metrics, published } = fresh();
      metrics.publish([{ name: 'ErrorObjectsWritten', unit: 'Count', value: 1 }]);
      metrics.publish([
        { name: 'ErrorObjectsWritten', unit: 'Count', value: 1 },
        { name: 'ErrorObjectsWritten', unit: 'Count', value: 2 },
      ]);
      expect(published().map((p) => p.value)).toEqual([1, 1, 2]);
    });

    it('never throws, and a point it cannot publish takes no other point with it nor leaves its dimensions behind', () => {
      const { metrics, service, published } = fresh();
      // CloudWatch takes at most 30 dimensions on a metric: this point cannot be published.
      const tooMany = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`D${i}`, 'x']));

      expect(() =>
        metrics.publish([
          { name: 'Unpublishable', unit: 'Count', value: 1, dimensions: tooMany },
          { name: 'ReaderRuns', unit: 'Count', value: 1 },
        ]),
      ).not.toThrow();
      expect(() => metrics.publish([{ name: 'ReaderRuns', unit: 'Count', value: 2 }])).not.toThrow();

      const good = published().filter((p) => p.name === 'ReaderRuns');
      expect(good.map((p) => [p.value, p.dimensions])).toEqual([
        [1, { service }],
        [2, { service }],
      ]);
    });
  });
}
