/**
 * @module
 * One loader run (README, What it guarantees): compute the consistent cut from the lake's watermarks, read every
 * star table's versions between the warehouse's cut and the new one, and load them in one warehouse
 * transaction. Core only: the query engine and the warehouse are ports.
 */
import type { QueryEngine, QueryResult } from '../core/ports/query-engine.ts';
import type { Cut, InferredMember, LakeWatermark, LoadLatency, Warehouse } from '../core/ports/warehouse.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { WAREHOUSE_TABLE_NAMES, type WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { buildLoadBatch, type WindowRows } from './load-batch.ts';
import { bindParameters, type LoaderQuery, readLoaderQuery } from './loader-queries.ts';

/** The loader's SQL: the watermark query and one window query per star table but dim_date. */
export type LoaderQueries = Readonly<
  Record<'watermarks' | Exclude<WarehouseTableName, 'dim_date'>, LoaderQuery>
>;

/** What one run did. */
export type LoadOutcome =
  | {
      readonly status: 'blocked';
      readonly fromCut: Cut | null;
      readonly missingWatermarks: readonly LakeTableName[];
      /** The watermarks the run did read (lake lag is published from them on every run). */
      readonly watermarks: readonly LakeWatermark[];
    }
  | {
      readonly status: 'unchanged';
      readonly fromCut: Cut | null;
      readonly cutLsn: string;
      readonly watermarks: readonly LakeWatermark[];
    }
  | {
      readonly status: 'loaded';
      readonly fromCut: Cut | null;
      readonly toCut: Cut;
      readonly rowsRead: Readonly<Partial<Record<WarehouseTableName, number>>>;
      readonly rowsWritten: Readonly<Partial<Record<WarehouseTableName, number>>>;
      readonly inferredMembers: readonly InferredMember[];
      readonly missingJoins: readonly string[];
      readonly unchangedReReads: number;
      readonly latency: LoadLatency | null;
      readonly watermarks: readonly LakeWatermark[];
    };

/**
 * What an engine over local files may offer: leaving out files entirely below the previous cut (rows there
 * are loaded already), except changes of tables read as of the cut over their whole history. Athena has no
 * such hook; partition pruning on `dt` bounds its reads.
 */
export interface FileFloorEngine {
  setFileFloor(floor: {
    readonly belowLsn: bigint;
    readonly dtFrom: string;
    readonly keepChangesOf: ReadonlySet<LakeTableName>;
  }): void;
}

/** What a run needs. */
export interface LoaderDeps {
  readonly engine: QueryEngine & Partial<FileFloorEngine>;
  readonly warehouse: Warehouse;
  readonly queries: LoaderQueries;
}

/** The earliest `dt` scanned when the warehouse has no cut yet. */
const NO_PRUNING = '1970-01-01';
const DAY_MS = 86_400_000;

/** Reads every loader query from `queries/loader/`. */
export async function readLoaderQueries(queriesDir?: string): Promise<LoaderQueries> {
  const names = ['watermarks', ...WAREHOUSE_TABLE_NAMES.filter((t) => t !== 'dim_date')] as const;
  const entries = await Promise.all(
    names.map(async (name) => [name, await readLoaderQuery(name, queriesDir)]),
  );
  return Object.fromEntries(entries) as LoaderQueries;
}

/**
 * The first `dt` partition that can hold a change after `cut`: the day of the cut's commit time minus one day.
 * The day of margin covers commit timestamps that are not monotonic in LSN order (PostgreSQL takes the
 * timestamp before it inserts the commit record, so two concurrent commits can swap around midnight) and
 * snapshot rows whose commit time is the snapshot's; it costs at most one extra day of files.
 */
export function pruneFrom(cut: Cut | null): string {
  if (cut?.commitTs == null) return NO_PRUNING;
  const day = new Date(Date.parse(cut.commitTs) - DAY_MS);
  return day.toISOString().slice(0, 10);
}

/** The consistent cut: the smallest newest watermark over every lake table, or the tables still lacking one. */
export function computeCut(
  watermarks: readonly LakeWatermark[],
): { readonly lsn: string } | { readonly missing: LakeTableName[] } {
  const seen = new Map(watermarks.map((w) => [w.table, BigInt(w.lsn)]));
  const missing = LAKE_TABLE_NAMES.filter((t) => !seen.has(t));
  if (missing.length > 0) return { missing };
  let min: bigint | null = null;
  for (const lsn of seen.values()) if (min === null || lsn < min) min = lsn;
  return { lsn: String(min) };
}

/** One loader run; safe to repeat and to crash at any point (the warehouse refuses a stale batch). */
export async function runLoad(deps: LoaderDeps): Promise<LoadOutcome> {
  const { engine, warehouse, queries } = deps;
  const fromCut = await warehouse.currentCut();
  const dtFrom = pruneFrom(fromCut);
  // The watermark query reads rows at the previous cut (a stalled stream's watermark sits there), so the
  // floor is the cut itself, not one above it.
  engine.setFileFloor?.({
    belowLsn: fromCut === null ? -1n : BigInt(fromCut.lsn),
    dtFrom,
    keepChangesOf: WHOLE_HISTORY,
  });
  const watermarks = await readWatermarks(engine, queries.watermarks, dtFrom, fromCut?.lsn ?? '-1');
  const cut = computeCut(watermarks);
  if ('missing' in cut) {
    // With a cut, a table without a watermark after it holds the cut where it is; without one, the lake is
    // not ready (a stream has never delivered a watermark).
    if (fromCut !== null) return { status: 'unchanged', fromCut, cutLsn: fromCut.lsn, watermarks };
    return { status: 'blocked', fromCut, missingWatermarks: cut.missing, watermarks };
  }
  if (fromCut !== null && BigInt(cut.lsn) <= BigInt(fromCut.lsn)) {
    return { status: 'unchanged', fromCut, cutLsn: cut.lsn, watermarks };
  }

  const values = { dt_from: dtFrom, prev_cut: fromCut?.lsn ?? '-1', cut: cut.lsn };
  const tables = WAREHOUSE_TABLE_NAMES.filter((t) => t !== 'dim_date');
  const results: Partial<Record<(typeof tables)[number], QueryResult>> = {};
  const changed = changedLakeTables(watermarks, fromCut);
  await Promise.all(
    tables.map(async (table) => {
      // A star table none of whose lake tables has a change after the previous cut has nothing to load.
      if (!FED_BY[table].some((lake) => changed.has(lake))) {
        results[table] = { columns: [], rows: [] };
        return;
      }
      const query = queries[table];
      results[table] = await engine.query(query.sql, bindParameters(query, values));
    }),
  );
  const windowRows = results as WindowRows;
  const built = buildLoadBatch(fromCut, cut.lsn, windowRows, watermarks);
  const report = await warehouse.load(built.batch);
  const rowsRead = Object.fromEntries(tables.map((t) => [t, windowRows[t].rows.length]));
  return {
    status: 'loaded',
    fromCut,
    toCut: built.batch.toCut,
    rowsRead,
    rowsWritten: report.rowsWritten,
    inferredMembers: report.inferredMembers,
    missingJoins: built.missingJoins,
    unchangedReReads: built.unchangedReReads,
    latency: report.latency,
    watermarks,
  };
}

/**
 * Lake tables some loader query reads as of the cut over their whole history (`_lsn <= cut`, no lower bound):
 * the joined side of dim_staff and dim_counterparty. Their change files are never left out.
 */
const WHOLE_HISTORY: ReadonlySet<LakeTableName> = new Set([
  'dim_staff',
  'department',
  'dim_counterparty',
  'dim_location',
]);

/** The lake tables each star table is read from (joins included). */
const FED_BY: Readonly<Record<Exclude<WarehouseTableName, 'dim_date'>, readonly LakeTableName[]>> = {
  dim_currency: ['dim_currency'],
  dim_location: ['dim_location'],
  dim_design: ['dim_design'],
  dim_payment_type: ['dim_payment_type'],
  dim_staff: ['dim_staff', 'department'],
  dim_counterparty: ['dim_counterparty', 'dim_location'],
  dim_transaction: ['dim_transaction'],
  fact_sales_order: ['fact_sales_order'],
  fact_purchase_order: ['fact_purchase_order'],
  fact_payment: ['fact_payment'],
};

/** Lake tables holding a change newer than the previous cut (all of them when the engine did not say). */
function changedLakeTables(watermarks: readonly LakeWatermark[], fromCut: Cut | null): Set<LakeTableName> {
  const after = fromCut === null ? -1n : BigInt(fromCut.lsn);
  return new Set(
    watermarks
      .filter(
        (w) =>
          w.newestChangeLsn === undefined ||
          (w.newestChangeLsn !== null && BigInt(w.newestChangeLsn) > after),
      )
      .map((w) => w.table),
  );
}

async function readWatermarks(
  engine: QueryEngine,
  query: LoaderQuery,
  dtFrom: string,
  prevCut: string,
): Promise<LakeWatermark[]> {
  const result = await engine.query(
    query.sql,
    bindParameters(query, { dt_from: dtFrom, prev_cut: prevCut, cut: null }),
  );
  const [tableAt, lsnAt, emittedAt, changeAt] = [
    'lake_table',
    'watermark_lsn',
    'emitted_at',
    'newest_change_lsn',
  ].map((c) => result.columns.indexOf(c)) as [number, number, number, number];
  return result.rows
    .filter(
      (row) => row[lsnAt] !== null && (LAKE_TABLE_NAMES as readonly string[]).includes(String(row[tableAt])),
    )
    .map((row) => ({
      table: row[tableAt] as LakeTableName,
      lsn: String(row[lsnAt]),
      emittedAt: row[emittedAt] ?? null,
      ...(changeAt >= 0 ? { newestChangeLsn: row[changeAt] ?? null } : {}),
    }));
}
