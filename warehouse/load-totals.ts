/**
 * @module
 * Running totals over every load, kept in the warehouse so that any number of stateless readers (the HTTP
 * app's `/metrics`, locally or on Lambda) expose the same counters: rows written per table, and two histograms,
 * the commit-to-warehouse latency of every change and the duration of every load. Each load adds its own
 * observations in its own transaction, so a total never counts a load that rolled back, or one twice.
 */
import type pg from 'pg';
import { PIPELINE_HISTOGRAMS, type PipelineHistogramName } from '../core/schema/warehouse-tables.ts';

/** Upper bounds (seconds) of the end-to-end latency buckets: from sub-second locally to the 15-minute alarm. */
export const END_TO_END_BUCKETS: readonly number[] = [
  0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600,
];

/** Upper bounds (seconds) of the load duration buckets. */
export const LOAD_DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Observations of one load for one histogram, Prometheus-style: cumulative counts per upper bound. */
export interface HistogramObservations {
  readonly bounds: readonly number[];
  /** Observations at or below each bound, in the order of `bounds`. */
  readonly cumulativeCounts: readonly number[];
  /** Every observation (the `+Inf` bucket). */
  readonly count: number;
  readonly sum: number;
}

/** What one load adds to the totals. */
export interface LoadTotals {
  readonly endToEnd: HistogramObservations;
  readonly loadDuration: HistogramObservations;
  readonly rowsWritten: Readonly<Partial<Record<string, number>>>;
}

/** No observation. */
export function noObservations(bounds: readonly number[]): HistogramObservations {
  return { bounds, cumulativeCounts: bounds.map(() => 0), count: 0, sum: 0 };
}

/** One observation of `value`. */
export function observe(bounds: readonly number[], value: number): HistogramObservations {
  return { bounds, cumulativeCounts: bounds.map((b) => (value <= b ? 1 : 0)), count: 1, sum: value };
}

/** Adds one load's observations and rows to the totals (inside the load's transaction). */
export async function addLoadTotals(client: pg.ClientBase, totals: LoadTotals): Promise<void> {
  await addHistogram(client, PIPELINE_HISTOGRAMS.endToEnd, totals.endToEnd);
  await addHistogram(client, PIPELINE_HISTOGRAMS.loadDuration, totals.loadDuration);
  const rows = Object.entries(totals.rowsWritten).filter(([, n]) => (n ?? 0) > 0);
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO pipeline.rows_loaded (table_name, rows)
     SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (table_name) DO UPDATE SET rows = pipeline.rows_loaded.rows + excluded.rows`,
    [rows.map(([table]) => table), rows.map(([, n]) => n)],
  );
}

async function addHistogram(
  client: pg.ClientBase,
  name: PipelineHistogramName,
  observations: HistogramObservations,
): Promise<void> {
  if (observations.count === 0) return;
  // The +Inf bucket is stored with the bound 'Infinity', which double precision holds exactly.
  await client.query(
    `INSERT INTO pipeline.histogram_bucket (histogram, le, observations)
     SELECT $1, * FROM unnest($2::double precision[], $3::bigint[])
     ON CONFLICT (histogram, le) DO UPDATE
       SET observations = pipeline.histogram_bucket.observations + excluded.observations`,
    [name, [...observations.bounds, 'Infinity'], [...observations.cumulativeCounts, observations.count]],
  );
  await client.query(
    `INSERT INTO pipeline.histogram_sum (histogram, sum) VALUES ($1, $2)
     ON CONFLICT (histogram) DO UPDATE SET sum = pipeline.histogram_sum.sum + excluded.sum`,
    [name, observations.sum],
  );
}
