/**
 * @module
 * What the warehouse itself says about the pipeline (README "Watching lag"): the cut, the row count of each
 * star table, the lake lag per table and the warehouse lag from the loader's lag samples, and the latest
 * load's end-to-end latency. Only reads, so the `status` command, `/api/status` and the API Lambda (which may
 * read nothing else) share it.
 */
import type pg from 'pg';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import type { LakeTableName } from '../core/schema/lake-tables.ts';
import { WAREHOUSE_TABLE_NAMES, type WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { warehouseLagFromSample } from '../core/warehouse-lag.ts';

/** The warehouse's part of `status --json`. */
export interface WarehouseStatus {
  /** Seconds since each lake table's newest watermark was emitted, as the loader last sampled it. */
  readonly lakeLagSeconds: Readonly<Partial<Record<LakeTableName, number>>>;
  readonly warehouse: {
    readonly cut: {
      readonly lsn: string | null;
      readonly commitTs: string | null;
      readonly loadedAt: string | null;
    };
    readonly rows: Readonly<Partial<Record<WarehouseTableName, number>>>;
    readonly lagSeconds: number | null;
  };
  readonly endToEnd: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly max: number | null;
  };
}

const UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Reads the figures; a warehouse not migrated yet reports nulls and empty maps, not an error. */
export async function readWarehouseStatus(warehouse: pg.ClientBase): Promise<WarehouseStatus> {
  const migrated = (
    await warehouse.query<{ ok: boolean }>("SELECT to_regclass('pipeline.cut') IS NOT NULL AS ok")
  ).rows[0]?.ok;
  const empty: WarehouseStatus = {
    lakeLagSeconds: {},
    warehouse: { cut: { lsn: null, commitTs: null, loadedAt: null }, rows: {}, lagSeconds: null },
    endToEnd: { p50: null, p95: null, max: null },
  };
  if (!migrated) return empty;
  const cut = (
    await warehouse.query<{ lsn: string; commit_ts: string | null; loaded_at: string }>(
      `SELECT lsn::text AS lsn, to_char(commit_ts AT TIME ZONE 'UTC', ${UTC_MS}) AS commit_ts,
              to_char(loaded_at AT TIME ZONE 'UTC', ${UTC_MS}) AS loaded_at
         FROM pipeline.cut WHERE id = 1`,
    )
  ).rows[0];
  const rows: Partial<Record<WarehouseTableName, number>> = {};
  const counts = await warehouse.query<{ t: WarehouseTableName; n: string }>(
    WAREHOUSE_TABLE_NAMES.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM public.${t}`).join(
      ' UNION ALL ',
    ),
  );
  for (const row of counts.rows) rows[row.t] = Number(row.n);
  const lakeLag: Partial<Record<LakeTableName, number>> = {};
  // Emit time = sampled_at - lag at sampling; lag now = now - emit time.
  const samples = await warehouse.query<{ table_name: LakeTableName; lag: number }>(
    `SELECT DISTINCT ON (table_name) table_name,
       extract(epoch FROM now() - (sampled_at - make_interval(secs => lag_seconds)))::double precision AS lag
     FROM pipeline.lag_sample WHERE stage = 'lake' ORDER BY table_name, sampled_at DESC`,
  );
  for (const s of samples.rows) lakeLag[s.table_name] = Math.max(0, s.lag);
  const last = (
    await warehouse.query<{ p50: number | null; p95: number | null; max: number | null }>(
      `SELECT latency_p50_s AS p50, latency_p95_s AS p95, latency_max_s AS max FROM pipeline.load_history
       WHERE latency_p50_s IS NOT NULL ORDER BY load_id DESC LIMIT 1`,
    )
  ).rows[0];
  // The loader's own figure (core/warehouse-lag.ts), from its newest sample: 0 on an idle source, however
  // far the source's WAL has moved with heartbeats since.
  const sample = cut
    ? (
        await warehouse.query<{ lag: number; at: string }>(
          `SELECT lag_seconds AS lag, (extract(epoch FROM sampled_at) * 1000)::text AS at
             FROM pipeline.lag_sample WHERE stage = 'warehouse' ORDER BY sampled_at DESC LIMIT 1`,
        )
      ).rows[0]
    : undefined;
  const lagSeconds = !cut
    ? null
    : sample
      ? warehouseLagFromSample({ lagSeconds: sample.lag, sampledAtMs: Number(sample.at) }, Date.now())
      : 0;
  return {
    lakeLagSeconds: lakeLag,
    warehouse: {
      // In PostgreSQL's X/Y form, as every LSN a person or a script reads (README, Commands).
      cut: {
        lsn: cut ? formatLsn(parseLsn(cut.lsn)) : null,
        commitTs: cut?.commit_ts ?? null,
        loadedAt: cut?.loaded_at ?? null,
      },
      rows,
      lagSeconds,
    },
    endToEnd: last ?? empty.endToEnd,
  };
}

/** The slowest lake table's lag, or null before any lake lag was sampled. */
export function slowestLakeLag(status: Pick<WarehouseStatus, 'lakeLagSeconds'>): number | null {
  const values = Object.values(status.lakeLagSeconds);
  return values.length > 0 ? Math.max(...values) : null;
}
