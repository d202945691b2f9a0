/**
 * @module
 * Builds one load batch from the rows the loader queries returned: dimensions as the latest version per key,
 * facts as one row per committed version or delete (unchanged-TOAST columns filled from the previous version in
 * the batch, snapshot re-reads identical to the previous version dropped), and dim_date covering every date a fact
 * references. What needs the warehouse's current rows (the first version of an order in the batch, dimension
 * rows with unchanged columns) is left to the warehouse, which fills it from its own rows in the same
 * transaction.
 */
import type { QueryResult } from '../core/ports/query-engine.ts';
import type { Cut, LakeWatermark, LoadBatch, TableRows } from '../core/ports/warehouse.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import {
  DIMENSION_TABLE_NAMES,
  FACT_TABLE_NAMES,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from './dim-date.ts';

/** The query result of every star table except dim_date, keyed by table. */
export type WindowRows = Readonly<Record<Exclude<WarehouseTableName, 'dim_date'>, QueryResult>>;

/** Placeholder the warehouse contract uses for NOT NULL text it cannot know. */
export const UNKNOWN = 'unknown';

/** The batch and what building it noticed. */
export interface BuiltBatch {
  readonly batch: LoadBatch;
  /** Fact versions dropped because they were snapshot re-reads of an unchanged order. */
  readonly unchangedReReads: number;
  /** Staff whose department (or counterparties whose address) was missing from the lake, as `table:key`. */
  readonly missingJoins: readonly string[];
}

type Row = (string | null)[];

/** Builds the batch bringing the warehouse from `fromCut` to `toCut` (whose commitTs it computes). */
export function buildLoadBatch(
  fromCut: Cut | null,
  toCutLsn: string,
  windowRows: WindowRows,
  watermarks: readonly LakeWatermark[],
): BuiltBatch {
  const tables: TableRows[] = [];
  const dates = new Set<string>();
  const missingJoins: string[] = [];
  let unchangedReReads = 0;
  let newestCommit: string | null = null;
  const prevLsn = fromCut === null ? -1n : BigInt(fromCut.lsn);
  const noteCommit = (result: QueryResult, row: readonly (string | null)[]) => {
    const lsn = row[result.columns.indexOf('_lsn')];
    const ts = row[result.columns.indexOf('_commit_ts')];
    if (lsn && ts && BigInt(lsn) > prevLsn && (newestCommit === null || ts > newestCommit)) newestCommit = ts;
  };

  for (const table of DIMENSION_TABLE_NAMES) {
    if (table === 'dim_date') continue;
    const result = windowRows[table];
    const rows = result.rows.map((row) => [...row]);
    if (table === 'dim_staff' || table === 'dim_counterparty') {
      missingJoins.push(...fillMissingJoin(table, result.columns, rows));
    }
    for (const row of rows) noteCommit(result, row);
    tables.push({ table, columns: result.columns, rows });
  }

  const facts: TableRows[] = [];
  for (const table of FACT_TABLE_NAMES) {
    const result = windowRows[table];
    const { rows, dropped } = factVersions(table, result);
    unchangedReReads += dropped;
    const dateColumns = LAKE_TABLES[table].columns
      .filter((c) => c.type === 'date')
      .map((c) => result.columns.indexOf(c.name));
    for (const row of rows) {
      noteCommit(result, row);
      for (const i of dateColumns) {
        const value = row[i];
        if (value) dates.add(value);
      }
    }
    facts.push({ table, columns: result.columns, rows });
  }

  const dimDate: TableRows = {
    table: 'dim_date',
    columns: DIM_DATE_COLUMNS,
    rows: [...dates].sort().map(dimDateRow),
  };
  const commitTs: string | null = newestCommit === null ? (fromCut?.commitTs ?? null) : isoUtc(newestCommit);
  return {
    batch: {
      fromCut,
      toCut: { lsn: toCutLsn, commitTs },
      // Tables with nothing to load are left out: the warehouse only stages what a batch carries.
      tables: [dimDate, ...tables, ...facts].filter((t) => t.rows.length > 0 || t.table === 'dim_date'),
      watermarks,
    },
    unchangedReReads,
    missingJoins,
  };
}

/**
 * A fact's versions and deletes in commit order, each order's chain resolved inside the batch: unchanged-TOAST
 * columns take the previous version's value (and leave `_unchanged` for the warehouse only when there is none),
 * and a snapshot re-read equal to the previous version is dropped. A delete is kept (the warehouse records it)
 * and leaves no previous version behind it.
 */
function factVersions(
  table: (typeof FACT_TABLE_NAMES)[number],
  result: QueryResult,
): { rows: Row[]; dropped: number } {
  const column = (name: string) => result.columns.indexOf(name);
  const [keyAt, opAt, lsnAt, seqAt, unchangedAt] = [
    column(LAKE_TABLES[table].keyColumn),
    column('_op'),
    column('_lsn'),
    column('_seq'),
    column('_unchanged'),
  ];
  const business = result.columns.map((name, i) => (name.startsWith('_') ? -1 : i)).filter((i) => i >= 0);
  const ordered = [...result.rows].sort((a, b) => compareVersion(a, b, lsnAt, seqAt));
  const previous = new Map<string, Row>();
  const rows: Row[] = [];
  let dropped = 0;
  for (const source of ordered) {
    const row = [...source];
    const key = String(row[keyAt]);
    if (row[opAt] === 'd') {
      // A delete ends the chain: a version after it (a re-insert, a re-read) is never "unchanged".
      previous.delete(key);
      rows.push(row);
      continue;
    }
    const prior = previous.get(key);
    const unchanged = row[unchangedAt];
    if (prior && unchanged) {
      for (const name of unchanged.split(',')) {
        const i = column(name.trim());
        if (i >= 0) row[i] = prior[i] ?? null;
      }
      row[unchangedAt] = null;
    }
    if (prior && row[opAt] === 'r' && business.every((i) => row[i] === prior[i])) {
      dropped++;
      continue;
    }
    previous.set(key, row);
    rows.push(row);
  }
  return { rows, dropped };
}

function compareVersion(
  a: readonly (string | null)[],
  b: readonly (string | null)[],
  lsnAt: number,
  seqAt: number,
) {
  const lsnA = BigInt(a[lsnAt] ?? '0');
  const lsnB = BigInt(b[lsnAt] ?? '0');
  if (lsnA !== lsnB) return lsnA < lsnB ? -1 : 1;
  return Number(a[seqAt] ?? 0) - Number(b[seqAt] ?? 0);
}

/**
 * A staff member whose department, or a counterparty whose legal address, is not in the lake (an incomplete
 * import) still loads: the joined NOT NULL columns become 'unknown' and the key is reported.
 */
function fillMissingJoin(
  table: 'dim_staff' | 'dim_counterparty',
  columns: readonly string[],
  rows: Row[],
): string[] {
  const probe = columns.indexOf(
    table === 'dim_staff' ? 'department_name' : 'counterparty_legal_address_line_1',
  );
  const required =
    table === 'dim_staff'
      ? ['department_name']
      : [
          'counterparty_legal_address_line_1',
          'counterparty_legal_city',
          'counterparty_legal_postal_code',
          'counterparty_legal_country',
          'counterparty_legal_phone_number',
        ];
  const keyAt = columns.indexOf(LAKE_TABLES[table].keyColumn);
  const opAt = columns.indexOf('_op');
  const missing: string[] = [];
  for (const row of rows) {
    if (row[opAt] === 'd' || row[probe] !== null) continue;
    for (const name of required) row[columns.indexOf(name)] = UNKNOWN;
    missing.push(`${table}:${row[keyAt]}`);
  }
  return missing;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC wall time) as ISO-8601 UTC. */
export function isoUtc(lakeTimestamp: string): string {
  return `${lakeTimestamp.replace(' ', 'T')}Z`;
}
