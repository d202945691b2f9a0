/**
 * @module
 * What the loader knows of the star schema (columns, keys, foreign keys, read from the catalog) and
 * the small helpers every part of a load shares.
 */
import type pg from 'pg';
import { FACT_TABLE_NAMES, type WarehouseTableName } from './warehouse-tables.ts';

/** A star table column as the catalog describes it. */
export interface ColumnInfo {
  readonly name: string;
  readonly dataType: string;
  readonly nullable: boolean;
}

/** A foreign key between star tables. */
export interface ForeignKey {
  readonly table: WarehouseTableName;
  readonly column: string;
  readonly target: WarehouseTableName;
  readonly targetColumn: string;
}

/** The star schema as read once from the warehouse catalog. */
export interface StarSchema {
  readonly columns: ReadonlyMap<WarehouseTableName, readonly ColumnInfo[]>;
  readonly primaryKeys: ReadonlyMap<WarehouseTableName, string>;
  readonly foreignKeys: readonly ForeignKey[];
}

/** The connection a load runs on (inside its transaction). */
export type Client = pg.PoolClient;

/** The name of a fact table. */
export type FactTable = (typeof FACT_TABLE_NAMES)[number];

/** Narrows a star table name to a fact table. */
export function isFact(table: WarehouseTableName): table is FactTable {
  return (FACT_TABLE_NAMES as readonly string[]).includes(table);
}

/** The temporary staging table of a star table. */
export function stageName(table: WarehouseTableName): string {
  return `stage_${table}`;
}

/** Star columns of a table that the loader writes (everything but a fact's surrogate record id). */
export function dataColumns(schema: StarSchema, table: WarehouseTableName): readonly ColumnInfo[] {
  const all = schema.columns.get(table) ?? [];
  return isFact(table) ? all.filter((c) => c.name !== schema.primaryKeys.get(table)) : all;
}

/** A load that failed; the transaction was rolled back and the warehouse is unchanged. */
export class WarehouseLoadError extends Error {
  override readonly name = 'WarehouseLoadError';
}
