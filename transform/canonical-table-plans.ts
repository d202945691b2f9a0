/**
 * @module
 * What the transformation's fast path (canonical-event-lines.ts) knows of each source table before it reads a
 * line: the tokens it matches in an event, how each lake column is written from which source column, and how
 * much room a row can need; built once from the one schema source (core/schema/, lake-row-mapping.ts).
 */
import { lakeTableForSource } from '../core/schema/lake-tables.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../core/schema/source-tables.ts';
import { bytesOf } from './event-line-scan.ts';
import { COLUMN_MAPPINGS, type ColumnMapping } from './lake-row-mapping.ts';

/** How a lake column is written from its source value; each is `lakeRowJson`'s fast path for its type. */
export type Writer =
  | 'int'
  | 'decimal'
  | 'date'
  | 'string'
  | 'boolean'
  | 'date-part'
  | 'time-part'
  | 'currency-name';

export interface ColumnPlan {
  /** `"name":`, after a comma for all but the first column. */
  readonly prefix: Uint8Array;
  /** Its lake name, as `_unchanged` lists it. */
  readonly name: string;
  /** Index of its source column in the table's source columns (DDL order). */
  readonly source: number;
  /** Undefined for a type the fast path does not write (the line goes to the general path). */
  readonly writer: Writer | undefined;
  readonly isKey: boolean;
}

export interface TablePlan {
  readonly table: SourceTableName;
  /** The table's name and the quote closing it, as the `table` value is written. */
  readonly nameToken: Uint8Array;
  /** `"column":` of each source column. */
  readonly sourceTokens: readonly Uint8Array[];
  /** Each source column's name and a closing quote, to match an entry of `unchanged`. */
  readonly unchangedTokens: readonly Uint8Array[];
  /** `"column":` of the source column the lake key comes from: the one member of `key` read. */
  readonly keyToken: Uint8Array;
  readonly columns: readonly ColumnPlan[];
  /** What precedes `_op`'s value. */
  readonly opPrefix: Uint8Array;
  /**
   * Room for any row of this table: the event's length times {@link copies}, plus this (reserved once per
   * line, so that the writes need no check of their own).
   */
  readonly extraBytes: number;
  /** The most lake columns that copy one source column's value. */
  readonly copies: number;
  /** Where each source column's value starts and ends, its kind, and the scan that last saw it. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly kinds: Uint8Array;
  readonly seen: Uint32Array;
  generation: number;
}

/** The metadata columns' names and punctuation, and `_commit_ts`'s value (the rest are copied). */
const METADATA_BYTES = 128;
/** Per column, beside its prefix and its name in `_unchanged`: the longest value not copied (a time). */
const COLUMN_EXTRA_BYTES = 16;
/** The longest currency name's JSON, and then some (ISO 4217's longest are under 40 characters). */
const CURRENCY_NAME_BYTES = 128;

function writerOf({ column, rule }: ColumnMapping): Writer | undefined {
  switch (rule.kind) {
    case 'date-part':
      return column.type === 'date' ? 'date-part' : undefined;
    case 'time-part':
    case 'currency-name':
      return column.type === 'string' ? rule.kind : undefined;
    case 'copy':
      switch (column.type) {
        case 'int':
        case 'date':
        case 'string':
        case 'boolean':
          return column.type;
        case 'decimal(10,2)':
          return 'decimal';
        default:
          return undefined;
      }
  }
}

function tablePlan(source: SourceTableName): TablePlan {
  const table = lakeTableForSource(source);
  const mappings = COLUMN_MAPPINGS[table.name];
  const sourceNames = SOURCE_TABLES[source].columns.map((column) => column.name);
  const columns = mappings.map(
    (mapping, index): ColumnPlan => ({
      prefix: bytesOf(`${index === 0 ? '' : ','}${JSON.stringify(mapping.column.name)}:`),
      name: mapping.column.name,
      source: sourceNames.indexOf(mapping.rule.from),
      writer: writerOf(mapping),
      isKey: mapping.column.name === table.keyColumn,
    }),
  );
  const key = mappings.find((mapping) => mapping.column.name === table.keyColumn);
  const count = sourceNames.length;
  return {
    table: source,
    nameToken: bytesOf(`${source}"`),
    sourceTokens: sourceNames.map((name) => bytesOf(`${JSON.stringify(name)}:`)),
    unchangedTokens: sourceNames.map((name) => bytesOf(`${name}"`)),
    keyToken: bytesOf(`${JSON.stringify(key?.rule.from ?? '')}:`),
    columns,
    opPrefix: bytesOf(columns.length === 0 ? '"_op":' : ',"_op":'),
    extraBytes:
      METADATA_BYTES +
      (columns.some((column) => column.writer === 'currency-name') ? CURRENCY_NAME_BYTES : 0) +
      columns.reduce(
        (sum, column) => sum + column.prefix.length + column.name.length + COLUMN_EXTRA_BYTES,
        0,
      ),
    copies: Math.max(
      1,
      ...sourceNames.map((_, index) => columns.filter((column) => column.source === index).length),
    ),
    starts: new Int32Array(count),
    ends: new Int32Array(count),
    kinds: new Uint8Array(count),
    seen: new Uint32Array(count),
    generation: 0,
  };
}

/** Each source table's plan, in SOURCE_TABLE_NAMES' order. */
export const PLANS: readonly TablePlan[] = SOURCE_TABLE_NAMES.map(tablePlan);
