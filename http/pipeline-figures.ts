/**
 * @module
 * The dashboard's pipeline figures (architecture section 8): what the loader recorded in the warehouse's
 * `pipeline` schema (the cut, each load's end-to-end latency, rows loaded per minute, the last load that
 * brought changes), read in the same transaction as the business figures, and the lag of each stage from the
 * `status --json` document, each marked when it is past its alarm threshold (core/alarm-thresholds.ts).
 */
import type pg from 'pg';
import { type AlarmThresholdName, isBehind } from '../core/alarm-thresholds.ts';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { type AnyLakeTableName, LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';

/** How many of the latest loads the latency chart shows. */
export const LOADS_SHOWN = 60;
/** How many minutes the rows-loaded chart covers, the current one included. */
export const MINUTES_SHOWN = 30;

const UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** What the loader recorded, at one cut. */
export interface LoadHistory {
  /** The warehouse's cut, or null before the first load. */
  readonly cut: {
    /** As PostgreSQL prints it (`X/Y`). */
    readonly lsn: string;
    /** Commit time of the newest change at or below the cut (UTC ISO-8601, ms). */
    readonly commitTs: string | null;
    readonly loadedAt: string;
  } | null;
  /** The latest loads that made changes visible, oldest first: when, and their p50/p95 latency in seconds. */
  readonly loads: readonly { readonly at: string; readonly p50: number; readonly p95: number }[];
  /** Rows written per minute over the last {@link MINUTES_SHOWN} minutes, oldest first. */
  readonly rowsPerMinute: readonly { readonly minute: string; readonly rows: number }[];
}

/**
 * The parts of the `status --json` document (`totesys-stream status`) the stage lags and `/metrics` come from.
 * The lists a deployment's status document may lack are optional: their gauges are then left out.
 */
export interface StatusLagFields {
  readonly reader?: {
    readonly lagSeconds: number | null;
    readonly lagBytes: number | null;
    /** Source tables whose columns no longer match the pipeline's schema. */
    readonly schemaDrift?: readonly { readonly table: SourceTableName }[];
    /** Changes set aside under `errors/` whose key waits for its next change. */
    readonly setAside?: readonly { readonly table: SourceTableName }[];
  };
  readonly lake?: {
    readonly lagSeconds: Readonly<Partial<Record<LakeTableName, number>>>;
    readonly errorsWaiting: Readonly<Partial<Record<LakeTableName, number>>>;
    /** Lake objects moved to `quarantine/`, one note each. */
    readonly quarantined?: readonly { readonly table: AnyLakeTableName }[];
  };
  readonly warehouse?: { readonly lagSeconds: number | null };
}

/** One lag figure and whether it is past its alarm threshold. */
export interface LagFigure {
  readonly value: number | null;
  readonly behind: boolean;
}

/** Each stage's lag, marked against its alarm threshold. */
export interface StageLags {
  readonly reader: { readonly seconds: LagFigure; readonly slotBytes: LagFigure };
  readonly lake: readonly ({ readonly table: LakeTableName } & LagFigure)[];
  readonly warehouse: LagFigure;
  /** The latest load's p50 and p95 (the alarm is on p95). */
  readonly endToEnd: { readonly p50: number | null; readonly p95: LagFigure };
  /** Error objects waiting under `errors/<table>/`, tables with none left out. */
  readonly errorsWaiting: readonly ({ readonly table: LakeTableName } & LagFigure)[];
}

/** Reads the loader's records (inside the caller's transaction, so they share its cut). */
export async function readLoadHistory(client: pg.ClientBase): Promise<LoadHistory> {
  const cut = await client.query<{ lsn: string; commit_ts: string | null; loaded_at: string }>(
    `SELECT lsn::text AS lsn, to_char(commit_ts AT TIME ZONE 'UTC', ${UTC_MS}) AS commit_ts,
            to_char(loaded_at AT TIME ZONE 'UTC', ${UTC_MS}) AS loaded_at
       FROM pipeline.cut WHERE id = 1`,
  );
  const loads = await client.query<{ at: string; p50: number; p95: number }>(
    `SELECT to_char(finished_at AT TIME ZONE 'UTC', ${UTC_MS}) AS at, latency_p50_s AS p50, latency_p95_s AS p95
       FROM pipeline.load_history WHERE latency_p50_s IS NOT NULL
      ORDER BY load_id DESC LIMIT $1`,
    [LOADS_SHOWN],
  );
  const perMinute = await client.query<{ minute: string; rows: string }>(
    `SELECT to_char(m.minute AT TIME ZONE 'UTC', ${UTC_MS}) AS minute,
            coalesce(sum(r.value::bigint), 0)::text AS rows
       FROM generate_series(date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute',
                            date_trunc('minute', now()), interval '1 minute') AS m(minute)
       LEFT JOIN pipeline.load_history AS h
         ON h.finished_at >= m.minute AND h.finished_at < m.minute + interval '1 minute'
       LEFT JOIN LATERAL jsonb_each_text(h.rows_per_table) AS r ON true
      GROUP BY m.minute ORDER BY m.minute`,
    [MINUTES_SHOWN],
  );
  const row = cut.rows[0];
  return {
    cut: row ? { lsn: formatLsn(parseLsn(row.lsn)), commitTs: row.commit_ts, loadedAt: row.loaded_at } : null,
    loads: loads.rows.reverse(),
    rowsPerMinute: perMinute.rows.map((r) => ({ minute: r.minute, rows: Number(r.rows) })),
  };
}

/** Each stage's lag from the status document and the latest load, against the alarm thresholds. */
export function stageLags(status: StatusLagFields, history: LoadHistory): StageLags {
  const figure = (name: AlarmThresholdName, value: number | null | undefined): LagFigure => ({
    value: value ?? null,
    behind: isBehind(name, value),
  });
  const latest = history.loads.at(-1);
  const lakeLag = status.lake?.lagSeconds ?? {};
  const errors = status.lake?.errorsWaiting ?? {};
  return {
    reader: {
      seconds: figure('readerLagSeconds', status.reader?.lagSeconds),
      slotBytes: figure('readerSlotLagBytes', status.reader?.lagBytes),
    },
    lake: LAKE_TABLE_NAMES.filter((table) => lakeLag[table] !== undefined).map((table) => ({
      table,
      ...figure('lakeLagSeconds', lakeLag[table]),
    })),
    warehouse: figure('warehouseLagSeconds', status.warehouse?.lagSeconds),
    endToEnd: { p50: latest?.p50 ?? null, p95: figure('endToEndP95Seconds', latest?.p95) },
    errorsWaiting: LAKE_TABLE_NAMES.filter((table) => (errors[table] ?? 0) > 0).map((table) => ({
      table,
      ...figure('errorObjects', errors[table]),
    })),
  };
}
