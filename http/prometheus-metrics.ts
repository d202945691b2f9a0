/**
 * @module
 * `/metrics`: the pipeline's figures in Prometheus's text exposition format, written by prom-client. Each
 * scrape builds a fresh registry from two readings, so any number of stateless servers (locally, or one Lambda
 * container after another) expose the same values: the lag gauges and what waits aside (error objects,
 * quarantined objects, set-aside changes, drifted tables) from the `status --json` document, and the
 * running totals the loader keeps in the warehouse (warehouse/load-totals.ts) as counters and histograms.
 */
import type pg from 'pg';
import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import { LAKE_TABLE_NAMES } from '../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../core/schema/market-lake-tables.ts';
import { SOURCE_TABLE_NAMES } from '../core/schema/source-tables.ts';
import { PIPELINE_HISTOGRAMS, type PipelineHistogramName } from '../core/schema/warehouse-tables.ts';
import type { StatusLagFields } from './pipeline-figures.ts';

/** The running totals of the warehouse, as read in one transaction. */
export interface WarehouseTotals {
  readonly rowsLoaded: readonly { readonly table: string; readonly rows: number }[];
  readonly histograms: readonly {
    readonly name: PipelineHistogramName;
    /** Upper bounds ascending, `Infinity` last, with cumulative counts. */
    readonly buckets: readonly { readonly le: number; readonly count: number }[];
    readonly sum: number;
  }[];
}

/** Every metric name, as the README's scrape example and Grafana panel use them. */
export const METRIC_NAMES = {
  readerLagSeconds: 'totesys_reader_lag_seconds',
  readerSlotLagBytes: 'totesys_reader_slot_lag_bytes',
  lakeLagSeconds: 'totesys_lake_lag_seconds',
  warehouseLagSeconds: 'totesys_warehouse_lag_seconds',
  endToEndSeconds: `totesys_${PIPELINE_HISTOGRAMS.endToEnd}`,
  loaderRunDurationSeconds: `totesys_${PIPELINE_HISTOGRAMS.loadDuration}`,
  rowsLoaded: 'totesys_warehouse_rows_loaded_total',
  errorObjectsWaiting: 'totesys_error_objects_waiting',
  lakeObjectsQuarantined: 'totesys_lake_objects_quarantined',
  readerChangesSetAside: 'totesys_reader_changes_set_aside',
  sourceSchemaDriftTables: 'totesys_source_schema_drift_tables',
} as const;

const HELP: Readonly<Record<PipelineHistogramName, string>> = {
  [PIPELINE_HISTOGRAMS.endToEnd]:
    'Seconds from a change committing in the source to the load that made it visible in the warehouse.',
  [PIPELINE_HISTOGRAMS.loadDuration]: 'Seconds each load that moved the warehouse cut took.',
};

/** Reads the running totals (inside the caller's transaction). */
export async function readWarehouseTotals(client: pg.ClientBase): Promise<WarehouseTotals> {
  const rows = await client.query<{ table_name: string; rows: string }>(
    'SELECT table_name, rows::text AS rows FROM pipeline.rows_loaded ORDER BY table_name',
  );
  const buckets = await client.query<{ histogram: PipelineHistogramName; le: number; observations: string }>(
    'SELECT histogram, le, observations::text AS observations FROM pipeline.histogram_bucket ORDER BY histogram, le',
  );
  const sums = await client.query<{ histogram: PipelineHistogramName; sum: number }>(
    'SELECT histogram, sum FROM pipeline.histogram_sum',
  );
  return {
    rowsLoaded: rows.rows.map((r) => ({ table: r.table_name, rows: Number(r.rows) })),
    histograms: Object.values(PIPELINE_HISTOGRAMS).map((name) => ({
      name,
      buckets: buckets.rows
        .filter((b) => b.histogram === name)
        .map((b) => ({ le: b.le, count: Number(b.observations) })),
      sum: sums.rows.find((s) => s.histogram === name)?.sum ?? 0,
    })),
  };
}

/** The exposition text and its content type. */
export async function renderMetrics(
  status: StatusLagFields,
  totals: WarehouseTotals,
): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number | null | undefined) => {
    const metric = new Gauge({ name, help, registers: [registry] });
    // A figure not known yet (no reader run, no load) is left out rather than reported as 0.
    if (value !== null && value !== undefined) metric.set(value);
  };
  gauge(
    METRIC_NAMES.readerLagSeconds,
    'Seconds since the oldest source commit the reader has not yet had accepted by Firehose (0 when none).',
    status.reader?.lagSeconds,
  );
  gauge(
    METRIC_NAMES.readerSlotLagBytes,
    'WAL bytes the replication slot holds back (pg_current_wal_lsn() - confirmed_flush_lsn).',
    status.reader?.lagBytes,
  );
  gauge(
    METRIC_NAMES.warehouseLagSeconds,
    'Seconds changes have waited above the warehouse cut (0 when nothing is behind).',
    status.warehouse?.lagSeconds,
  );
  const lake = new Gauge({
    name: METRIC_NAMES.lakeLagSeconds,
    help: 'Per lake table: seconds since the newest watermark that reached the lake was emitted.',
    labelNames: ['table'],
    registers: [registry],
  });
  const errors = new Gauge({
    name: METRIC_NAMES.errorObjectsWaiting,
    help: 'Per lake table: objects under errors/<table>/ (records that failed processing or conversion).',
    labelNames: ['table'],
    registers: [registry],
  });
  for (const table of LAKE_TABLE_NAMES) {
    const lag = status.lake?.lagSeconds[table];
    if (lag !== undefined) lake.set({ table }, lag);
    if (status.lake) errors.set({ table }, status.lake.errorsWaiting[table] ?? 0);
  }
  // What the pipeline moved aside and goes on without, from the same status document (README, What it
  // guarantees): the local counterparts of the CloudWatch counts LakeObjectsQuarantined, ReaderChangesSetAside
  // and SourceSchemaDriftTables, as what is waiting now rather than a count of events.
  perTable(
    registry,
    METRIC_NAMES.lakeObjectsQuarantined,
    'Per lake table: objects that could not be read, moved to quarantine/ (status names each; its table is re-read).',
    [...LAKE_TABLE_NAMES, ...MARKET_LAKE_TABLE_NAMES],
    status.lake?.quarantined,
  );
  perTable(
    registry,
    METRIC_NAMES.readerChangesSetAside,
    "Per source table: changes too large to ship, set aside under errors/<table>/reader-failed/, waiting for their row's next change.",
    SOURCE_TABLE_NAMES,
    status.reader?.setAside,
  );
  gauge(
    METRIC_NAMES.sourceSchemaDriftTables,
    "Source tables whose columns no longer match the pipeline's schema (status names each and what differs).",
    status.reader?.schemaDrift?.length,
  );
  const rows = new Counter({
    name: METRIC_NAMES.rowsLoaded,
    help: 'Rows the loader wrote to the warehouse, per star table, since the warehouse was created.',
    labelNames: ['table'],
    registers: [registry],
  });
  for (const { table, rows: n } of totals.rowsLoaded) rows.inc({ table }, n);
  for (const histogram of totals.histograms) registry.registerMetric(storedHistogram(histogram));
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** A gauge per table counting the entries of `entries` (left out when the status document lacks the list). */
function perTable(
  registry: Registry,
  name: string,
  help: string,
  tables: readonly string[],
  entries: readonly { readonly table: string }[] | undefined,
): void {
  const metric = new Gauge({ name, help, labelNames: ['table'], registers: [registry] });
  if (entries === undefined) return;
  for (const table of tables) metric.set({ table }, entries.filter((entry) => entry.table === table).length);
}

/**
 * A histogram whose buckets were counted by the loader, not in this process. prom-client's Histogram only
 * accumulates its own observations; its Registry formats any metric whose `get()` returns name, help, type
 * and values (lib/registry.js), which is what this object provides, in the shape Histogram#get returns.
 */
function storedHistogram(histogram: WarehouseTotals['histograms'][number]): Metric {
  const name = `totesys_${histogram.name}`;
  const count = histogram.buckets.at(-1)?.count ?? 0;
  const values = [
    ...histogram.buckets.map((b) => ({
      metricName: `${name}_bucket`,
      labels: { le: Number.isFinite(b.le) ? b.le : '+Inf' },
      value: b.count,
    })),
    // With no observation yet the +Inf bucket still has to be there.
    ...(histogram.buckets.length === 0
      ? [{ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: 0 }]
      : []),
    { metricName: `${name}_sum`, labels: {}, value: histogram.sum },
    { metricName: `${name}_count`, labels: {}, value: count },
  ];
  const metric = {
    name,
    help: HELP[histogram.name],
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help: HELP[histogram.name], type: 'histogram', aggregator: 'sum', values }),
  };
  return metric as unknown as Metric;
}
