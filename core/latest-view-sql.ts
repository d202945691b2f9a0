/**
 * @module
 * The SQL of the `<lake table>_latest` views, one text for DuckDB (the local catalog) and Athena (replaced by
 * compaction after each snapshot, created by CDK before the first): each key's newest version in the table's
 * current state snapshot plus the changes after it, deleted keys left out, with the lake table's columns and
 * the version's `dt`. The snapshot and the change range are literals, so Athena prunes partitions on them and
 * never reads the history before the snapshot.
 */
import type { StateSnapshotManifest } from './ports/state-snapshots.ts';
import { NO_SNAPSHOT, snapshotTableName } from './schema/lake-snapshots.ts';
import { LAKE_TABLES, type LakeTableName, lakeColumns, PARTITION_COLUMN } from './schema/lake-tables.ts';
import { MARKET_LAKE_TABLES, type MarketLakeTableName } from './schema/market-lake-tables.ts';

/** The first day of every partition: a view without a snapshot reads the whole history. */
const EVERY_DAY = '1970-01-01';

/** The `SELECT` of a table's `_latest` view over `snapshot` (undefined: none yet, the whole history). */
export function latestViewSelect(table: LakeTableName, snapshot: StateSnapshotManifest | undefined): string {
  const definition = LAKE_TABLES[table];
  const columns = [...lakeColumns(definition), PARTITION_COLUMN].map((c) => quote(c.name)).join(', ');
  const folder = snapshot?.folder ?? NO_SNAPSHOT;
  const lsn = snapshot?.lsn ?? '-1';
  const from = snapshot?.changesFrom ?? EVERY_DAY;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^-?\d+$/.test(lsn) || !/^[0-9a-z]+$/.test(folder)) {
    throw new RangeError(`The state snapshot manifest of ${table} holds a malformed LSN, day or folder.`);
  }
  return [
    `SELECT ${columns} FROM (`,
    `  SELECT ${columns},`,
    `    row_number() OVER (PARTITION BY ${quote(definition.keyColumn)} ORDER BY "_lsn" DESC, "_seq" DESC) AS version_rank`,
    '  FROM (',
    `    SELECT ${columns} FROM ${quote(snapshotTableName(table))} WHERE "snapshot_lsn" = '${folder}'`,
    '    UNION ALL',
    `    SELECT ${columns} FROM ${quote(table)}`,
    `    WHERE "dt" >= CAST('${from}' AS date) AND "_lsn" > CAST(${lsn} AS bigint) AND "_op" IN ('c', 'u', 'r', 'd')`,
    '  ) AS versions',
    ') AS ranked',
    `WHERE version_rank = 1 AND "_op" <> 'd'`,
  ].join('\n');
}

/** Identifiers come from the lake schema only; quoting keeps names like `_op` unambiguous on both engines. */
function quote(identifier: string): string {
  return `"${identifier}"`;
}

/**
 * The `SELECT` of a market table's `<table>_latest` view, one text for DuckDB and Athena: each observation key's
 * newest fetch (README, "Market data"), with the table's columns and the `dt` it landed in. Market tables have
 * no state snapshots: they grow by a few rows a day, so the view reads the whole table.
 */
export function marketLatestViewSelect(table: MarketLakeTableName): string {
  const definition = MARKET_LAKE_TABLES[table];
  const columns = [...definition.columns, PARTITION_COLUMN].map((c) => quote(c.name)).join(', ');
  return [
    `SELECT ${columns} FROM (`,
    `  SELECT ${columns},`,
    `    row_number() OVER (PARTITION BY ${definition.keyColumns.map(quote).join(', ')} ORDER BY ${quote(definition.versionColumn)} DESC) AS version_rank`,
    `  FROM ${quote(table)}`,
    ') AS ranked',
    'WHERE version_rank = 1',
  ].join('\n');
}
