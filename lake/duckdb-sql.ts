/**
 * @module
 * The pieces of DuckDB SQL the local catalog writes its views and tables with (lake/duckdb-catalog.ts,
 * lake/lake-file-rows.ts): each lake column type's DuckDB type, string literals and quoted identifiers.
 */
import {
  type AnyLakeTableName,
  anyLakeTable,
  type LakeColumn,
  type LakeColumnType,
  lakeColumns,
  PARTITION_COLUMN,
} from '../core/schema/lake-tables.ts';

/** The DuckDB type each Glue type reads as (what the Parquet writer's encodings come back as). */
export const DUCKDB_TYPES: { readonly [T in LakeColumnType]: string } = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  'decimal(10,2)': 'DECIMAL(10,2)',
  'decimal(18,8)': 'DECIMAL(18,8)',
};

/** A SQL string literal. */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Identifiers come from the lake schema (core/schema/) only; quoting keeps names like `_op` unambiguous. */
export function sqlIdentifier(identifier: string): string {
  return `"${identifier}"`;
}

/** The columns of a lake table's view: its lake columns and the partition's `dt`. */
export function viewColumns(table: AnyLakeTableName): readonly LakeColumn[] {
  return [...lakeColumns(anyLakeTable(table)), PARTITION_COLUMN];
}

/** `read_parquet`'s options for lake files: `dt` read from the path (hive partitioning) as a DATE. */
export const LAKE_PARQUET_OPTIONS = "hive_partitioning = true, hive_types = {'dt': DATE}";
