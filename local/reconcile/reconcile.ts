/**
 * @module
 * `reconcile`: the warehouse compared, table by table and column by column, with the star schema computed
 * from the source **as of the warehouse's cut**, so the comparison is exact while the pipeline runs:
 *
 * 1. a temporary logical slot gives a consistent point S; the source tables are copied under its snapshot
 *    (source-at-cut.ts);
 * 2. the pipeline brings the warehouse's cut to at least S (`catchUp`: a sync, or waiting for `up`);
 * 3. the warehouse and its cut C are read in one repeatable-read transaction;
 * 4. the source changes committed in (S, C] are replayed from the slot onto the copies, the star is computed
 *    from them and compared with the warehouse in both directions: dimensions row by row, facts through the
 *    `current_*` views (each order's latest version, deleted orders left out).
 *
 * Per-table counts and the verdict come from the same list of differences.
 */
import type pg from 'pg';
import { formatLsn, type Lsn } from '../../core/lsn.ts';
import {
  isFactTable,
  WAREHOUSE_TABLE_NAMES,
  type WarehouseTableName,
} from '../../core/schema/warehouse-tables.ts';
import { createClient } from '../../postgres/connections.ts';
import { readerConnection } from '../../reader/source-values.ts';
import { assertWarehouseLoadsFrom } from '../data-dir-identity.ts';
import { ReconcileError, SourceAtCut } from './source-at-cut.ts';
import { sourceStar } from './source-star.ts';
import { compareTable, type Difference } from './star-comparison.ts';
import { comparedColumns, dateDifferences, referencedKeys, warehouseRows } from './warehouse-star.ts';

export { ReconcileError } from './source-at-cut.ts';
export type { Difference, DifferenceKind } from './star-comparison.ts';

/** The comparison of one table. */
export interface TableReconciliation {
  /** Rows the source implies as of the cut (facts: current orders). */
  readonly sourceRows: number;
  /** Rows the warehouse holds (facts: rows of the `current_*` view). */
  readonly warehouseRows: number;
  readonly differences: number;
}

/** What `reconcile --json` prints. LSNs are as PostgreSQL prints them (`X/Y`). */
export interface ReconcileReport {
  /** The warehouse cut the comparison was made at. */
  readonly cutLsn: string;
  /** Where the source was copied; the changes committed after it, up to the cut, were replayed. */
  readonly sourceSnapshotLsn: string;
  /** Source row changes replayed from the snapshot to the cut. */
  readonly replayedChanges: number;
  readonly tables: Readonly<Record<WarehouseTableName, TableReconciliation>>;
  readonly differences: readonly Difference[];
}

/** Where to compare, and how to bring the warehouse's cut forward. */
export interface ReconcileOptions {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  /** The pipeline's publication (the slot's changes are read through it). */
  readonly publication: string;
  /**
   * Brings the warehouse's cut to at least `lsn` (runs the pipeline, or waits for the one running). Also run
   * first with `lsn` 0 when the publication does not exist yet: running the pipeline creates it.
   */
  catchUp(lsn: Lsn): Promise<void>;
}

/** Compares the warehouse with the source as of the warehouse's cut. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  // A warehouse loaded from another source would only show differences: say so instead.
  await assertWarehouseLoadsFrom(options.sourceUrl, options.warehouseUrl);
  if (!(await publicationExists(options.sourceUrl, options.publication))) {
    // The slot's changes can only be read through a publication that existed when they were written.
    await options.catchUp(0n);
  }
  const source = await SourceAtCut.open(options.sourceUrl, options.publication);
  const warehouse = createClient(
    readerConnection<pg.ClientConfig>({ connectionString: options.warehouseUrl }),
  );
  try {
    await options.catchUp(source.snapshotLsn);
    await warehouse.connect();
    await warehouse.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const cut = (
      await warehouse.query<{ lsn: string }>('SELECT lsn::text AS lsn FROM pipeline.cut WHERE id = 1')
    ).rows[0]?.lsn;
    if (cut === undefined) {
      throw new ReconcileError('The warehouse has no cut yet: run `totesys-stream sync` first.');
    }
    const replayedChanges = await source.replayTo(BigInt(cut));
    const { differences, rows } = await compareStar(source, warehouse);
    await warehouse.query('COMMIT');
    return {
      cutLsn: formatLsn(BigInt(cut)),
      sourceSnapshotLsn: formatLsn(source.snapshotLsn),
      replayedChanges,
      tables: tableReconciliations(rows, differences),
      differences,
    };
  } finally {
    await warehouse.end().catch(() => undefined);
    await source.close();
  }
}

/** Rows each side holds, per table. */
type RowCounts = Map<WarehouseTableName, { sourceRows: number; warehouseRows: number }>;

/** Every table compared in both directions: the differences, and the rows each side held. */
async function compareStar(
  source: SourceAtCut,
  warehouse: pg.ClientBase,
): Promise<{ differences: Difference[]; rows: RowCounts }> {
  const differences: Difference[] = [];
  const rows: RowCounts = new Map();
  const referenced = await referencedKeys(warehouse);
  for (const table of WAREHOUSE_TABLE_NAMES) {
    if (table === 'dim_date') continue;
    const columns = comparedColumns(table);
    const expected = await sourceStar(source.session, 'pg_temp', table, columns);
    const actual = await warehouseRows(warehouse, table, columns);
    const reported = new Set(expected.unconvertible.map((u) => u.key));
    for (const bad of expected.unconvertible) differences.push({ ...bad, kind: 'unconvertible-in-source' });
    const fact = isFactTable(table);
    differences.push(
      ...compareTable({
        table,
        columns,
        expected: expected.rows,
        actual,
        reported,
        // A dimension member deleted at the source stays while facts reference it (README "The star schema").
        kept: fact ? undefined : referenced.get(table),
      }),
    );
    rows.set(table, { sourceRows: expected.rows.size + reported.size, warehouseRows: actual.size });
  }
  const dates = await dateDifferences(warehouse);
  differences.push(...dates.differences);
  rows.set('dim_date', { sourceRows: dates.rows, warehouseRows: dates.rows });
  return { differences, rows };
}

/** Each table's row counts beside its number of differences, counted from the reported list itself. */
function tableReconciliations(
  rows: RowCounts,
  differences: readonly Difference[],
): Record<WarehouseTableName, TableReconciliation> {
  const tables = {} as Record<WarehouseTableName, TableReconciliation>;
  for (const table of WAREHOUSE_TABLE_NAMES) {
    const counted = rows.get(table) ?? { sourceRows: 0, warehouseRows: 0 };
    tables[table] = { ...counted, differences: differences.filter((d) => d.table === table).length };
  }
  return tables;
}

async function publicationExists(sourceUrl: string, publication: string): Promise<boolean> {
  const client = createClient({ connectionString: sourceUrl });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
    return (result.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}
