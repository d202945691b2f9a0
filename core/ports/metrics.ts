/**
 * @module
 * MetricsPublisher: where the reader and the loader send the figures on-call alarms on (architecture
 * section 8). On Lambda, CloudWatch embedded metric format through Powertools Metrics; locally the same
 * figures reach `status` through the StateStore and the warehouse's `pipeline` schema instead.
 */

/** The units the pipeline's metrics use. */
export type MetricUnit = 'Count' | 'Seconds' | 'Bytes';

/** One value of one metric (names in core/operations.ts). */
export interface MetricPoint {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  /** Dimensions beside the publisher's own (e.g. `{ Table: 'fact_sales_order' }`). */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * Publishes metric points.
 *
 * Contract:
 * - Each point of a call is published exactly once, under the namespace `METRIC_NAMESPACE` and the
 *   publisher's service dimension plus the point's own dimensions, timestamped at the call.
 * - Counters are deltas (CloudWatch sums them); gauges are the value now.
 * - Publishing never throws: a figure that cannot be published must not stop the pipeline.
 */
export interface MetricsPublisher {
  publish(points: readonly MetricPoint[]): void;
}

/**
 * A publisher that drops every point (local runs, where `status` reads the figures elsewhere): the one
 * publisher outside the contract's first clause, since it publishes nowhere; it never throws either.
 */
export const UNPUBLISHED_METRICS: MetricsPublisher = { publish: () => undefined };
