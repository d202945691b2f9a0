/**
 * @module
 * The pipeline's lag figures (README, Watching lag) for `status`, read from outside the running process so
 * `status` works from another terminal while `up` runs: the slot's WAL lag on the source, the lake lag per
 * table and end-to-end latency from what the loader recorded in `pipeline`, the warehouse cut and row
 * counts, and the error objects waiting under the lake's error prefix.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { DEFAULTS, ENV } from '../core/operations.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { WAREHOUSE_TABLE_NAMES, type WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { warehouseLagFromSample } from '../core/warehouse-lag.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { type QuarantineNote, quarantineNotes } from '../lake/unreadable-objects.ts';
import { readerStatus } from '../reader/reader-status.ts';
import { describeDrift, type SchemaDrift } from '../reader/schema-drift.ts';
import { FileStateStore } from '../reader/state/file-state-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';

/** The pipeline part of `status --json`. */
export interface PipelineStatus {
  readonly reader: {
    readonly slot: string;
    readonly lagBytes: number | null;
    readonly active: boolean | null;
    /** Seconds since the oldest commit not yet accepted, as the running reader last recorded it. */
    readonly lagSeconds: number | null;
    /** Tables whose initial snapshot is not finished. */
    readonly snapshotPending: readonly string[];
    /** Source tables whose columns no longer match the pipeline's schema. */
    readonly schemaDrift: readonly SchemaDrift[];
  };
  readonly lake: {
    readonly lagSeconds: Readonly<Partial<Record<LakeTableName, number>>>;
    /** Error objects waiting under `errors/<table>/`, per lake table (only tables that have some). */
    readonly errorsWaiting: Readonly<Partial<Record<LakeTableName, number>>>;
    /** Lake objects that could not be read, moved to `quarantine/` (lake/unreadable-objects.ts). */
    readonly quarantined: readonly QuarantineNote[];
  };
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
  /** Seconds per stage (null where not known yet). */
  readonly lag: {
    readonly reader: number | null;
    readonly lake: number | null;
    readonly warehouse: number | null;
    readonly endToEnd: number | null;
  };
}

/** Where to look. */
export interface PipelineStatusOptions {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly dataDir: string;
  readonly slot?: string;
}

/** Reads every stage's figures; a stage that is not set up yet reports nulls, not an error. */
export async function readPipelineStatus(options: PipelineStatusOptions): Promise<PipelineStatus> {
  const slot = options.slot ?? process.env[ENV.slotName] ?? DEFAULTS.slotName;
  const warehouse = new pg.Client({ connectionString: options.warehouseUrl });
  await warehouse.connect();
  try {
    const reader = await readerStatus({
      sourceUrl: options.sourceUrl,
      stateStore: new FileStateStore(pipelinePaths(options.dataDir).state),
      slot,
    });
    const migrated = (
      await warehouse.query<{ ok: boolean }>("SELECT to_regclass('pipeline.cut') IS NOT NULL AS ok")
    ).rows[0]?.ok;
    const cut = migrated
      ? (
          await warehouse.query<{ lsn: string; commit_ts: string | null; loaded_at: string }>(
            `SELECT lsn::text AS lsn,
               to_char(commit_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS commit_ts,
               to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS loaded_at
             FROM pipeline.cut WHERE id = 1`,
          )
        ).rows[0]
      : undefined;
    const rows: Partial<Record<WarehouseTableName, number>> = {};
    if (migrated) {
      const counts = await warehouse.query<{ t: WarehouseTableName; n: string }>(
        WAREHOUSE_TABLE_NAMES.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM public.${t}`).join(
          ' UNION ALL ',
        ),
      );
      for (const row of counts.rows) rows[row.t] = Number(row.n);
    }
    const lakeLag: Partial<Record<LakeTableName, number>> = {};
    let endToEnd: PipelineStatus['endToEnd'] = { p50: null, p95: null, max: null };
    if (migrated) {
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
      if (last) endToEnd = last;
    }
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
    const warehouseLag = !cut
      ? null
      : sample
        ? warehouseLagFromSample({ lagSeconds: sample.lag, sampledAtMs: Number(sample.at) }, Date.now())
        : 0;
    const lakeValues = Object.values(lakeLag);
    return {
      reader: {
        slot,
        lagBytes: reader.slot.lagBytes,
        active: reader.slot.exists ? reader.slot.active : null,
        lagSeconds: reader.metrics?.lagSeconds ?? null,
        snapshotPending: reader.snapshotPending,
        schemaDrift: reader.schemaDrift,
      },
      lake: {
        lagSeconds: lakeLag,
        errorsWaiting: await errorsWaiting(options.dataDir),
        quarantined: await quarantineNotes(
          new FsObjectStore(pipelinePaths(options.dataDir).lake, LOCAL_LAKE_BUCKET),
        ),
      },
      warehouse: {
        cut: { lsn: cut?.lsn ?? null, commitTs: cut?.commit_ts ?? null, loadedAt: cut?.loaded_at ?? null },
        rows,
        lagSeconds: warehouseLag,
      },
      endToEnd,
      lag: {
        reader: reader.metrics?.lagSeconds ?? null,
        lake: lakeValues.length > 0 ? Math.max(...lakeValues) : null,
        warehouse: warehouseLag,
        endToEnd: endToEnd.p95,
      },
    };
  } finally {
    await warehouse.end();
  }
}

/** Files under `<lake>/totesys-lake/errors/<table>/`, per table. */
async function errorsWaiting(dataDir: string): Promise<Partial<Record<LakeTableName, number>>> {
  const root = join(pipelinePaths(dataDir).lake, LOCAL_LAKE_BUCKET, 'errors');
  const counts: Partial<Record<LakeTableName, number>> = {};
  for (const table of LAKE_TABLE_NAMES) {
    const n = await countFiles(join(root, table));
    if (n > 0) counts[table] = n;
  }
  return counts;
}

async function countFiles(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let n = 0;
  for (const entry of entries) {
    if (entry.isDirectory()) n += await countFiles(join(dir, entry.name));
    else if (!entry.name.startsWith('.')) n++;
  }
  return n;
}

/** A few lines for the human `status` (the cut in `X/Y` form like the source's WAL position; --json keeps decimals). */
export function formatPipelineStatus(status: PipelineStatus): string {
  const seconds = (s: number | null) => (s === null ? '-' : `${s.toFixed(1)} s`);
  const lines = [
    `reader  slot ${status.reader.slot}: ${status.reader.lagBytes ?? '-'} bytes behind${status.reader.active === false ? ' (inactive)' : ''}`,
  ];
  for (const drift of status.reader.schemaDrift) {
    lines.push(`        schema drift in source table ${drift.table}: ${describeDrift(drift)}`);
  }
  lines.push(`lake    lag ${seconds(status.lag.lake)} (newest watermark, slowest table)`);
  for (const [table, n] of Object.entries(status.lake.errorsWaiting)) {
    lines.push(`        ${n} error objects waiting under errors/${table}/`);
  }
  for (const note of status.lake.quarantined) {
    lines.push(`        quarantined (${note.kind}, its table re-read at ${note.at}): ${note.key}`);
  }
  const cut = status.warehouse.cut;
  lines.push(
    `warehouse cut ${cut.lsn === null ? 'none' : formatLsn(parseLsn(cut.lsn))} (commit ${cut.commitTs ?? '-'}), lag ${seconds(status.lag.warehouse)}`,
  );
  lines.push(
    `        rows ${Object.entries(status.warehouse.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );
  lines.push(
    `end-to-end last load p50 ${seconds(status.endToEnd.p50)}, p95 ${seconds(status.endToEnd.p95)}, max ${seconds(status.endToEnd.max)}`,
  );
  return lines.join('\n');
}
