/**
 * @module
 * Bookkeeping of a load: commit-to-visible latency, and the cut, load history, running totals and lag samples
 * in the `pipeline` schema, written in the load's own transaction.
 */
import type pg from 'pg';
import type { Cut, InferredMember, LoadBatch, LoadLatency } from '../core/ports/warehouse.ts';
import { LOAD_NOTIFICATION_CHANNEL, type WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { changesAboveCut, warehouseLagSeconds } from '../core/warehouse-lag.ts';
import {
  addLoadTotals,
  END_TO_END_BUCKETS,
  type HistogramObservations,
  LOAD_DURATION_BUCKETS,
  noObservations,
  observe,
} from './load-totals.ts';
import { stagingTable } from './star-staging.ts';

/** A load's latencies: the port's summary, and every change's latency counted into histogram buckets. */
export interface MeasuredLatency {
  /** Null when the load made no change newer than the previous cut visible. */
  readonly summary: LoadLatency | null;
  readonly histogram: HistogramObservations;
}

/**
 * Commit-to-visible latency over the staged changes newer than the previous cut, and the deletes of orders this
 * load recorded (they left the staged facts), measured at commit time.
 */
export async function measureLatency(
  client: pg.ClientBase,
  tables: readonly WarehouseTableName[],
  fromCut: Cut | null,
  toCut: Cut,
): Promise<MeasuredLatency> {
  const none: MeasuredLatency = { summary: null, histogram: noObservations(END_TO_END_BUCKETS) };
  const sources = tables
    .filter((t) => t !== 'dim_date')
    .map((t) => `SELECT _commit_ts FROM ${stagingTable(t)} WHERE _lsn > $1`);
  if (sources.length === 0) return none;
  // Only this load writes deletes in (fromCut, toCut]: every load reads exactly the changes in its window.
  sources.push(
    `SELECT commit_ts AT TIME ZONE 'UTC' FROM pipeline.fact_deletion WHERE lsn > $1 AND lsn <= $2`,
  );
  // The staged changes counted by commit time first (one scan, one hash; a load's changes share few commit
  // times, a snapshot's one), then every figure from those groups, each change measured against the same
  // instant, in double precision (`date_part`; `extract` computes in numeric, several times slower). The
  // percentiles are `percentile_cont`'s over every change: the changes of a group hold the positions
  // [below, below + n) of all changes in ascending latency, so the two values a percentile interpolates between
  // are the latencies of the groups holding positions floor and ceil of fraction * (changes - 1).
  const buckets = END_TO_END_BUCKETS.map((_, i) => `coalesce(sum(n) FILTER (WHERE s <= $${i + 3}), 0)`);
  const result = await client.query<{
    percentiles: number[] | null;
    max: number | null;
    n: string | null;
    sum: number | null;
    buckets: string[];
  }>(
    `WITH commits AS (
       SELECT _commit_ts AS commit_ts, count(*) AS n FROM (${sources.join(' UNION ALL ')}) AS staged
       WHERE _commit_ts IS NOT NULL GROUP BY 1
     ), latencies AS MATERIALIZED (
       SELECT date_part('epoch', measured_at.now - commit_ts) AS s, n FROM commits
       CROSS JOIN (SELECT clock_timestamp() AT TIME ZONE 'UTC' AS now) AS measured_at
     ), ranked AS (
       SELECT s, n, (sum(n) OVER (ORDER BY s ROWS UNBOUNDED PRECEDING) - n)::bigint AS below FROM latencies
     ), totals AS (
       SELECT sum(n)::bigint AS n, sum(s * n) AS sum, max(s) AS max, ARRAY[${buckets.join(', ')}]::text[] AS buckets
       FROM latencies
     ), positions AS (
       SELECT p.i, p.f * (totals.n - 1) AS pos FROM totals
       CROSS JOIN unnest(ARRAY[0.5, 0.95]::double precision[]) WITH ORDINALITY AS p(f, i)
     )
     SELECT ARRAY(
         SELECT lo.s + (hi.s - lo.s) * (p.pos - floor(p.pos)) FROM positions AS p
         JOIN ranked AS lo ON floor(p.pos) >= lo.below AND floor(p.pos) < lo.below + lo.n
         JOIN ranked AS hi ON ceil(p.pos) >= hi.below AND ceil(p.pos) < hi.below + hi.n
         ORDER BY p.i
       ) AS percentiles, max, n::text AS n, sum, buckets
     FROM totals`,
    [fromCut?.lsn ?? '-1', toCut.lsn, ...END_TO_END_BUCKETS],
  );
  const row = result.rows[0];
  const [p50, p95] = row?.percentiles ?? [];
  if (!row || p50 == null || p95 == null || row.max === null) return none;
  const changes = Number(row.n);
  return {
    summary: { p50, p95, max: row.max, changes },
    histogram: {
      bounds: END_TO_END_BUCKETS,
      cumulativeCounts: row.buckets.map(Number),
      count: changes,
      sum: row.sum ?? 0,
    },
  };
}

/**
 * Records the load in its own transaction: the new cut, a load-history row, the running totals /metrics
 * exposes, a notification on {@link LOAD_NOTIFICATION_CHANNEL} and the lag samples.
 */
export async function recordLoad(
  client: pg.ClientBase,
  batch: LoadBatch,
  startedAt: Date,
  rowsWritten: Partial<Record<WarehouseTableName, number>>,
  inferredMembers: readonly InferredMember[],
  measured: MeasuredLatency,
): Promise<void> {
  const latency = measured.summary;
  await client.query(
    `INSERT INTO pipeline.cut (id, lsn, commit_ts, loaded_at) VALUES (1, $1, $2, now())
     ON CONFLICT (id) DO UPDATE SET lsn = excluded.lsn, commit_ts = excluded.commit_ts, loaded_at = excluded.loaded_at`,
    [batch.toCut.lsn, batch.toCut.commitTs],
  );
  await client.query(
    `INSERT INTO pipeline.load_history (from_lsn, to_lsn, to_commit_ts, started_at, finished_at, rows_per_table,
       inferred_members, latency_p50_s, latency_p95_s, latency_max_s)
     VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6, $7, $8, $9)`,
    [
      batch.fromCut?.lsn ?? null,
      batch.toCut.lsn,
      batch.toCut.commitTs,
      startedAt,
      JSON.stringify(rowsWritten),
      JSON.stringify(inferredMembers),
      latency?.p50 ?? null,
      latency?.p95 ?? null,
      latency?.max ?? null,
    ],
  );
  await addLoadTotals(client, {
    endToEnd: measured.histogram,
    loadDuration: observe(LOAD_DURATION_BUCKETS, (Date.now() - startedAt.getTime()) / 1000),
    rowsWritten,
  });
  // Delivered when this transaction commits, never before: listeners read the load they hear about.
  await client.query('SELECT pg_notify($1, $2)', [LOAD_NOTIFICATION_CHANNEL, batch.toCut.lsn]);
  const samples: { stage: string; table: string | null; seconds: number }[] = [];
  if (batch.toCut.commitTs) {
    const behind = changesAboveCut(batch.watermarks, batch.toCut.lsn);
    samples.push({
      stage: 'warehouse',
      table: null,
      seconds: warehouseLagSeconds(batch.toCut, behind, Date.now()) ?? 0,
    });
  }
  if (latency) samples.push({ stage: 'end_to_end', table: null, seconds: latency.p95 });
  for (const watermark of batch.watermarks) {
    if (!watermark.emittedAt) continue;
    const emitted = Date.parse(`${watermark.emittedAt.replace(' ', 'T')}Z`);
    samples.push({ stage: 'lake', table: watermark.table, seconds: (Date.now() - emitted) / 1000 });
  }
  if (samples.length === 0) return;
  await client.query(
    `INSERT INTO pipeline.lag_sample (stage, table_name, lag_seconds)
     SELECT * FROM unnest($1::text[], $2::text[], $3::double precision[])`,
    [samples.map((s) => s.stage), samples.map((s) => s.table), samples.map((s) => Math.max(0, s.seconds))],
  );
}
