/**
 * @module
 * Bookkeeping of a load: commit-to-visible latency, and the cut, load history and lag samples in the
 * `pipeline` schema, written in the load's own transaction.
 */
import type pg from 'pg';
import type { Cut, InferredMember, LoadBatch, LoadLatency } from '../core/ports/warehouse.ts';
import type { WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { changesAboveCut, warehouseLagSeconds } from '../core/warehouse-lag.ts';
import { stagingTable } from './star-staging.ts';

/**
 * Commit-to-visible latency over the staged changes newer than the previous cut, and the deletes of orders this
 * load recorded (they left the staged facts), measured at commit time.
 */
export async function measureLatency(
  client: pg.ClientBase,
  tables: readonly WarehouseTableName[],
  fromCut: Cut | null,
  toCut: Cut,
): Promise<LoadLatency | null> {
  const sources = tables
    .filter((t) => t !== 'dim_date')
    .map((t) => `SELECT _commit_ts FROM ${stagingTable(t)} WHERE _lsn > $1`);
  if (sources.length === 0) return null;
  // Only this load writes deletes in (fromCut, toCut]: every load reads exactly the changes in its window.
  sources.push(
    `SELECT commit_ts AT TIME ZONE 'UTC' FROM pipeline.fact_deletion WHERE lsn > $1 AND lsn <= $2`,
  );
  const result = await client.query<{
    p50: number | null;
    p95: number | null;
    max: number | null;
    n: string;
  }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY s) AS p95, max(s) AS max, count(*) AS n
     FROM (SELECT extract(epoch FROM (clock_timestamp() AT TIME ZONE 'UTC') - _commit_ts)::double precision AS s
       FROM (${sources.join(' UNION ALL ')}) AS staged) AS latencies`,
    [fromCut?.lsn ?? '-1', toCut.lsn],
  );
  const row = result.rows[0];
  if (!row || row.p50 === null || row.p95 === null || row.max === null) return null;
  return { p50: row.p50, p95: row.p95, max: row.max, changes: Number(row.n) };
}

/** Records the load in its own transaction: the new cut, a load-history row and the lag samples. */
export async function recordLoad(
  client: pg.ClientBase,
  batch: LoadBatch,
  startedAt: Date,
  rowsWritten: Partial<Record<WarehouseTableName, number>>,
  inferredMembers: readonly InferredMember[],
  latency: LoadLatency | null,
): Promise<void> {
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
