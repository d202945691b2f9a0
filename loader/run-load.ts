/**
 * @module
 * One loader run (README, What it guarantees): compute the consistent cut from the lake's watermarks, read every
 * star table's versions between the warehouse's cut and the new one, and load them in one warehouse
 * transaction. Core only: the query engine and the warehouse are ports.
 */
import { DEFAULT_MEMORY_BOUNDS } from '../core/memory-bounds.ts';
import type { AsOfRead, LineResult, QueryEngine, QueryParameter } from '../core/ports/query-engine.ts';
import type { MissingRecords, RoundLog, WaitingPartition } from '../core/ports/round-log.ts';
import type { StateSnapshots } from '../core/ports/state-snapshots.ts';
import type { Cut, InferredMember, LakeWatermark, LoadLatency, Warehouse } from '../core/ports/warehouse.ts';
import { NO_SNAPSHOT } from '../core/schema/lake-snapshots.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import {
  FACT_TABLE_NAMES,
  type FactTableName,
  isFactTable,
  WAREHOUSE_TABLE_NAMES,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
import { withDeletesMissingFromReads } from './complete-reads.ts';
import {
  EVERY_DAY,
  type PendingRounds,
  partitionId,
  pendingRounds,
  provenCut,
  waitingPartitions,
} from './consistent-cut.ts';
import { batchesByKeyRange, EVERY_KEY, type KeyRange, keyRanges, readKeySpan } from './key-ranges.ts';
import { buildLoadBatch, type QueriedTable } from './load-batch.ts';
import {
  bindParameters,
  type LoaderQuery,
  type QueryParameterName,
  readLoaderQuery,
} from './loader-queries.ts';
import { changeBound, missingRoundRecords } from './round-records.ts';

/**
 * The loader's SQL: the watermark and round-records queries, one window query per star table but dim_date, and
 * per fact table the query of its window's key span (loader/key-ranges.ts).
 */
export type LoaderQueries = Readonly<
  Record<
    'watermarks' | 'round_records' | Exclude<WarehouseTableName, 'dim_date'> | `${FactTableName}_keys`,
    LoaderQuery
  >
>;

/** What one run did. */
export type LoadOutcome =
  | {
      readonly status: 'blocked';
      readonly fromCut: Cut | null;
      readonly missingWatermarks: readonly LakeTableName[];
      /** The watermarks the run did read (lake lag is published from them on every run). */
      readonly watermarks: readonly LakeWatermark[];
      /** Partitions the cut waits for a watermark from (loader/consistent-cut.ts `waitingPartitions`). */
      readonly waiting: readonly WaitingPartition[];
    }
  | {
      readonly status: 'unchanged';
      readonly fromCut: Cut | null;
      readonly cutLsn: string;
      readonly watermarks: readonly LakeWatermark[];
      readonly waiting: readonly WaitingPartition[];
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
      /** Deletes added for keys a complete read of their table no longer held (loader/complete-reads.ts). */
      readonly deletesFromReads: number;
      /**
       * Partitions of the rounds passed that hold fewer changes than the reader put there: an object is gone
       * (loader/round-records.ts). The caller has the tables re-read.
       */
      readonly missingRecords: readonly MissingRecords[];
      readonly latency: LoadLatency | null;
      readonly watermarks: readonly LakeWatermark[];
      readonly waiting: readonly WaitingPartition[];
    };

/** What a run needs. */
export interface LoaderDeps {
  readonly engine: QueryEngine;
  readonly warehouse: Warehouse;
  readonly queries: LoaderQueries;
  /** The reader's watermark rounds (which partitions must hold a watermark for a cut to be proven). */
  readonly roundLog: RoundLog;
  /**
   * The lake's state snapshots, which the dimension joins read instead of the whole history of the joined
   * tables; without it (or before a table's first snapshot) they read every version.
   */
  readonly snapshots?: StateSnapshots;
  /**
   * Rows read from the lake, and written to the warehouse, at a time (core/memory-bounds.ts).
   * @default DEFAULT_MEMORY_BOUNDS.loaderBatchRows
   */
  readonly batchRows?: number;
  /**
   * The lake partitions an object of which was quarantined (lake/unreadable-objects.ts
   * `quarantinedPartitions`), read only when a round waits: the cut may pass such a partition below a re-read
   * of its table (loader/consistent-cut.ts). Without it a round waits for the lost watermark.
   */
  readonly lostPartitions?: () => Promise<readonly { readonly table: LakeTableName; readonly dt: string }[]>;
  /**
   * Versions of a fact window read per key range (loader/key-ranges.ts, core/memory-bounds.ts
   * `windowRangeRows`): each range is sorted on its own, within the query engine's memory. Undefined reads each
   * window in one query (Athena, which bills every query for the data it scans).
   */
  readonly windowRangeRows?: number;
}

/** Reads every loader query from `queries/loader/`. */
export async function readLoaderQueries(queriesDir?: string): Promise<LoaderQueries> {
  const names = [
    'watermarks',
    'round_records',
    ...WAREHOUSE_TABLE_NAMES.filter((t) => t !== 'dim_date'),
    ...FACT_TABLE_NAMES.map((t) => `${t}_keys` as const),
  ] as const;
  const entries = await Promise.all(
    names.map(async (name) => [name, await readLoaderQuery(name, queriesDir)]),
  );
  return Object.fromEntries(entries) as LoaderQueries;
}

/** One loader run; safe to repeat and to crash at any point (the warehouse refuses a stale batch). */
export async function runLoad(deps: LoaderDeps): Promise<LoadOutcome> {
  const { engine, warehouse, queries } = deps;
  const fromCut = await warehouse.currentCut();
  const fromLsn = fromCut === null ? -1n : BigInt(fromCut.lsn);
  // From just below the cut: the round at the cut tells when the lake was last known complete (lake lag).
  const log = await deps.roundLog.read(fromLsn - 1n);
  const pending = pendingRounds(fromLsn, log);
  const days = [...pending.partitions.values()].flatMap((set) => [...set]).sort();
  // Read once: the floor and the queries' parameters name the same snapshot, whatever compaction publishes.
  const asOf = await asOfReads(deps.snapshots, fromLsn);
  if (days.length > 0 || pending.prunedAboveCut) {
    // Files entirely at or below the previous cut hold nothing any query of this run reads, but for the
    // changes above the snapshots of the tables read as of the cut.
    engine.capabilities.fileFloor?.set({
      belowLsn: fromCut === null ? -1n : fromLsn + 1n,
      dtFrom: pending.prunedAboveCut ? EVERY_DAY : (days[0] ?? EVERY_DAY),
      asOf,
    });
  }
  const found =
    pending.rounds.length > 0
      ? await readPartitionWatermarks(engine, queries.watermarks, pending)
      : new Map<string, bigint>();
  let cut = provenCut(pending, found);
  let lostIds: ReadonlySet<string> = new Set();
  if (cut.waitingFor !== undefined && cut.waitingFor.tables.length > 0 && deps.lostPartitions !== undefined) {
    const lost = await deps.lostPartitions();
    if (lost.length > 0) {
      lostIds = new Set(lost.map((p) => partitionId(p.table, p.dt)));
      cut = provenCut(pending, found, lostIds);
    }
  }
  const watermarks = cut.lake;
  const waiting = waitingPartitions(cut, found, lostIds);
  if (cut.lsn === null) {
    if (fromCut !== null) return { status: 'unchanged', fromCut, cutLsn: fromCut.lsn, watermarks, waiting };
    return {
      status: 'blocked',
      fromCut,
      missingWatermarks: cut.waitingFor?.tables.length ? cut.waitingFor.tables : [...LAKE_TABLE_NAMES],
      watermarks,
      waiting,
    };
  }

  const cutLsn = String(cut.lsn);
  const snapshotValues = snapshotParameters(asOf);
  const batchRows = deps.batchRows ?? DEFAULT_MEMORY_BOUNDS.loaderBatchRows;
  const toLsn = cut.lsn;
  const reads = log.completeReads.filter((read) => BigInt(read.lsn) > fromLsn && BigInt(read.lsn) <= toLsn);
  const readsOf = (table: string) => reads.filter((read) => read.table === table);
  const windows: Partial<Record<QueriedTable, AsyncIterable<LineResult>>> = {};
  const addedDeletes = { added: 0 };
  for (const table of QUERIED_TABLES) {
    // A star table none of whose lake tables has a change after the previous cut has nothing to load,
    // unless a complete read of it (which may have found it empty) says which keys are gone.
    const from = [
      ...FED_BY[table].map((lake) => cut.changedFrom.get(lake)),
      ...readsOf(table).map((read) => read.commitTs.slice(0, 10)),
    ]
      .filter((dt): dt is string => dt !== undefined)
      .sort()[0];
    if (from === undefined) continue;
    const query = queries[table];
    const values = { ...snapshotValues, dt_from: from, prev_cut: String(fromLsn), cut: cutLsn };
    const readRange = (range: KeyRange) =>
      engine.queryLines(
        query.sql,
        bindParameters(query, { ...values, key_from: String(range.from), key_to: String(range.to) }),
        batchRows,
      );
    const tableReads = readsOf(table);
    // A window the round records bound to half a range or less needs no key span: it is read in one range
    // (loader/key-ranges.ts) even if every change was delivered twice. A complete read's rows and rounds pruned
    // above the previous cut are not in the records.
    const changes =
      tableReads.length === 0 && !pending.prunedAboveCut
        ? changeBound(cut.covered, fromLsn, FED_BY[table])
        : undefined;
    const batches = () => {
      if (!isFactTable(table) || deps.windowRangeRows === undefined) return readRange(EVERY_KEY);
      const rangeRows = deps.windowRangeRows;
      if (changes !== undefined && changes * 2 <= rangeRows) return readRange(EVERY_KEY);
      const spanQuery = queries[`${table}_keys`];
      return (async function* () {
        const span = await readKeySpan(engine, spanQuery.sql, bindParameters(spanQuery, values));
        yield* batchesByKeyRange(keyRanges(span, rangeRows), readRange);
      })();
    };
    if (tableReads.length > 0) {
      // A complete read is compared with the window and the warehouse's current keys, both in key order, a
      // key at a time (loader/complete-reads.ts): nothing is held whole.
      windows[table] = {
        [Symbol.asyncIterator]: () =>
          withDeletesMissingFromReads(table, batches(), tableReads, warehouse.currentKeys(table, batchRows), {
            counted: addedDeletes,
            batchRows,
          }),
      };
      continue;
    }
    // Read only when the warehouse stages the table, a batch at a time (core/memory-bounds.ts).
    windows[table] = { [Symbol.asyncIterator]: () => batches()[Symbol.asyncIterator]() };
  }
  // The round check reads the lake while the warehouse stages the batch, instead of before it; the batch
  // commits only once the check has passed.
  const checking = missingRoundRecords(engine, queries.round_records, cut.covered, fromLsn);
  checking.catch(() => undefined);
  const built = buildLoadBatch(fromCut, cutLsn, windows, watermarks, { passing: checking });
  let report: Awaited<ReturnType<Warehouse['load']>>;
  try {
    report = await warehouse.load(built.batch);
  } finally {
    await built.close();
    await checking.catch(() => undefined);
  }
  const missingRecords = await checking;
  const rowsRead = Object.fromEntries(QUERIED_TABLES.map((t) => [t, built.figures.rowsRead[t] ?? 0]));
  return {
    status: 'loaded',
    fromCut,
    toCut: built.batch.toCut,
    rowsRead,
    rowsWritten: report.rowsWritten,
    inferredMembers: report.inferredMembers,
    missingJoins: built.figures.missingJoins,
    unchangedReReads: built.figures.unchangedReReads,
    deletesFromReads: addedDeletes.added,
    missingRecords,
    latency: report.latency,
    watermarks,
    waiting,
  };
}

/** The star tables the loader queries (every one but dim_date), in the warehouse's order. */
const QUERIED_TABLES = WAREHOUSE_TABLE_NAMES.filter((t): t is QueriedTable => t !== 'dim_date');

/**
 * How each table read as of the cut is read this run: from its state snapshot when that is at or below the
 * previous cut (compaction takes them at the warehouse's cut; one above it, after the warehouse was rebuilt
 * from an empty one, would show versions newer than the new cut may be), else over its whole history.
 */
async function asOfReads(
  snapshots: StateSnapshots | undefined,
  fromLsn: bigint,
): Promise<ReadonlyMap<LakeTableName, AsOfRead>> {
  const reads = new Map<LakeTableName, AsOfRead>();
  // Each table's current snapshot read at once: a small object each, read one after another every run before.
  const manifests = await Promise.all(AS_OF_TABLES.map((table) => snapshots?.current(table)));
  for (const [i, table] of AS_OF_TABLES.entries()) {
    const manifest = manifests[i];
    reads.set(
      table,
      manifest !== undefined && BigInt(manifest.lsn) <= fromLsn
        ? { snapshot: manifest, aboveLsn: BigInt(manifest.lsn), dtFrom: manifest.changesFrom }
        : { snapshot: undefined, aboveLsn: -1n, dtFrom: EVERY_DAY },
    );
  }
  return reads;
}

/** The state snapshot parameters of the tables read as of the cut. */
function snapshotParameters(
  asOf: ReadonlyMap<LakeTableName, AsOfRead>,
): Partial<Record<QueryParameterName, QueryParameter>> {
  const values: Partial<Record<QueryParameterName, QueryParameter>> = {};
  for (const [table, read] of asOf) {
    values[`snapshot_${table}`] = read.snapshot?.folder ?? NO_SNAPSHOT;
    values[`snapshot_lsn_${table}`] = String(read.aboveLsn);
    values[`snapshot_from_${table}`] = read.dtFrom;
  }
  return values;
}

/**
 * Lake tables some loader query reads as of the cut (the joined side of dim_staff and dim_counterparty): their
 * state snapshot plus their changes after it up to the cut, or the whole history before their first usable
 * snapshot. The file floor keeps their change files above the snapshot.
 */
const AS_OF_TABLES: readonly LakeTableName[] = [
  'dim_staff',
  'department',
  'dim_counterparty',
  'dim_location',
];

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

/** The newest watermark of each partition the pending rounds name (one query over every lake table). */
async function readPartitionWatermarks(
  engine: QueryEngine,
  query: LoaderQuery,
  pending: PendingRounds,
): Promise<Map<string, bigint>> {
  const values: Partial<Record<QueryParameterName, QueryParameter>> = { prev_cut: String(pending.fromLsn) };
  for (const table of LAKE_TABLE_NAMES) {
    const days = [...(pending.partitions.get(table) ?? [])].sort();
    // A table the rounds do not name is read over a day before every partition: nothing is opened.
    values[`dt_from_${table}`] = days[0] ?? EVERY_DAY;
    values[`dt_to_${table}`] = days[days.length - 1] ?? EVERY_DAY;
  }
  const result = await engine.query(query.sql, bindParameters(query, values));
  const at = (name: string) => result.columns.indexOf(name);
  const [tableAt, dtAt, lsnAt] = [at('lake_table'), at('dt'), at('watermark_lsn')];
  const found = new Map<string, bigint>();
  for (const row of result.rows) {
    const table = row[tableAt];
    const dt = row[dtAt];
    const lsn = row[lsnAt];
    if (table == null || dt == null || lsn == null) continue;
    if (!(LAKE_TABLE_NAMES as readonly string[]).includes(table)) continue;
    found.set(partitionId(table as LakeTableName, dt), BigInt(lsn));
  }
  return found;
}
