/**
 * @module
 * Maps one change event to the row of its lake table (core/schema/lake/ defines the lake tables).
 *
 * Each lake business column has one rule saying which source column it comes from and how: copied (possibly
 * renamed), the date or time half of a timestamp, or the ISO 4217 name of a currency code. Source columns no
 * rule reads are dropped (timestamps of dimensions, payment account numbers). Every output value is then read
 * back with the lake column's type (`parseJsonValue`), so a row Firehose's Parquet conversion would refuse is
 * refused here, with the column named, and written in the canonical JSON form (`formatJsonValue`).
 */
import type { ChangeEvent, RowImage, SourceValue } from '../core/change-event.ts';
import {
  LAKE_TABLES,
  type LakeColumn,
  type LakeTable,
  type LakeTableName,
  lakeTableForSource,
  METADATA_COLUMNS,
} from '../core/schema/lake-tables.ts';
import { SOURCE_TABLES } from '../core/schema/source-tables.ts';
import { formatJsonValue, type LakeValue, LakeValueError, parseJsonValue } from '../lake/lake-value.ts';
import { currencyName } from './currency-names.ts';
import { RecordRejectedError } from './record-rejected-error.ts';
import { splitTimestamp, type TimestampParts, TimestampSplitError } from './timestamp-split.ts';

/** How one lake business column is derived from a source column. */
export type ColumnRule =
  | { readonly kind: 'copy'; readonly from: string }
  | { readonly kind: 'date-part'; readonly from: string }
  | { readonly kind: 'time-part'; readonly from: string }
  | { readonly kind: 'currency-name'; readonly from: string };

/** A lake row as the JSON object put in the transformation's output, one attribute per lake column. */
export type LakeRowJson = Record<string, string | number | boolean | null>;

const copy = (from: string): ColumnRule => ({ kind: 'copy', from });

/** The fact tables' timestamp splits; fact_payment names its last_updated time column `last_updated`. */
const timestampSplits = (lastUpdatedTime: string): Record<string, ColumnRule> => ({
  created_date: { kind: 'date-part', from: 'created_at' },
  created_time: { kind: 'time-part', from: 'created_at' },
  last_updated_date: { kind: 'date-part', from: 'last_updated' },
  [lastUpdatedTime]: { kind: 'time-part', from: 'last_updated' },
});

/** Columns that are not a same-named copy of a source column; every other lake column is one. */
const NON_COPY_RULES: { readonly [T in LakeTableName]: Readonly<Record<string, ColumnRule>> } = {
  fact_sales_order: { ...timestampSplits('last_updated_time'), sales_staff_id: copy('staff_id') },
  fact_purchase_order: timestampSplits('last_updated_time'),
  fact_payment: timestampSplits('last_updated'),
  dim_transaction: {},
  dim_location: { location_id: copy('address_id') },
  dim_design: {},
  dim_payment_type: {},
  dim_currency: { currency_name: { kind: 'currency-name', from: 'currency_code' } },
  dim_staff: {},
  dim_counterparty: {},
  department: {},
};

/** One business column of a lake table with the rule that fills it. */
export interface ColumnMapping {
  readonly column: LakeColumn;
  readonly rule: ColumnRule;
}

/** The column mappings of every lake table, checked once against the source catalogue. */
export const COLUMN_MAPPINGS: { readonly [T in LakeTableName]: readonly ColumnMapping[] } = buildMappings();

function buildMappings(): { [T in LakeTableName]: readonly ColumnMapping[] } {
  const entries = Object.values(LAKE_TABLES).map((table): [LakeTableName, readonly ColumnMapping[]] => {
    const sourceColumns = new Set(SOURCE_TABLES[table.source].columns.map((c) => c.name));
    const mappings = table.columns.map((column) => {
      const rule = NON_COPY_RULES[table.name][column.name] ?? copy(column.name);
      // A rule naming a column the source does not have is a bug in this file or in core/schema/lake/: fail at load.
      if (!sourceColumns.has(rule.from)) {
        throw new Error(
          `Lake column ${table.name}.${column.name} reads source column ${table.source}.${rule.from}, which ` +
            'core/schema/source-tables.ts does not define; fix its rule in transform/lake-row-mapping.ts.',
        );
      }
      return { column, rule };
    });
    return [table.name, mappings];
  });
  return Object.fromEntries(entries) as { [T in LakeTableName]: readonly ColumnMapping[] };
}

const METADATA = new Map(METADATA_COLUMNS.map((c) => [c.name, c]));

/** The metadata columns the mapping fills, exported for lake-row-json.ts. */
export const LSN_COLUMN = metadataColumn('_lsn');
/** See {@link LSN_COLUMN}. */
export const SEQ_COLUMN = metadataColumn('_seq');
/** See {@link LSN_COLUMN}. */
export const XID_COLUMN = metadataColumn('_xid');
const COMMIT_TS_COLUMN = metadataColumn('_commit_ts');

/** One-entry caches: events of one transaction share a commit time, and each timestamp is split twice. */
let lastSplit: { text: string; parts: TimestampParts } = { text: '', parts: { date: '', time: '' } };
let lastCommitTs: { text: string; json: string | number | boolean | null } = { text: '', json: null };

/**
 * The lake row of one change event: business columns by the rules above, then `_op, _lsn, _seq, _xid,
 * _commit_ts, _unchanged`.
 *
 * - `c`, `r`, `u`: the mapped row; on an update, lake columns derived from an unchanged TOAST column are NULL
 *   and listed (lake names, comma-separated) in `_unchanged`.
 * - `d`: only the key column; `t` and `w`: no business column.
 *
 * @throws {RecordRejectedError} naming the table, lake column and LSN when the row lacks a source column or a
 * value breaks its lake column's type.
 */
export function mapChangeEvent(event: ChangeEvent): LakeRowJson {
  const table = lakeTableForSource(event.table);
  const mappings = COLUMN_MAPPINGS[table.name];
  const out: LakeRowJson = {};
  const unchanged: string[] = [];
  const skipped = event.op === 'u' && event.unchanged?.length ? new Set(event.unchanged) : undefined;
  for (const { column, rule } of mappings) {
    let raw: SourceValue = null;
    if (event.op === 'c' || event.op === 'r' || event.op === 'u') {
      if (skipped?.has(rule.from)) {
        unchanged.push(column.name);
      } else {
        raw = derive(table, event, column, rule, event.row);
      }
    } else if (event.op === 'd' && column.name === table.keyColumn) {
      raw = derive(table, event, column, rule, event.key);
    }
    out[column.name] = typed(table, event, column, raw);
  }
  out['_op'] = event.op;
  out['_lsn'] = typed(table, event, LSN_COLUMN, event.lsn);
  out['_seq'] = typed(table, event, SEQ_COLUMN, event.seq);
  out['_xid'] = typed(table, event, XID_COLUMN, event.xid);
  out['_commit_ts'] = commitTsJson(table, event);
  out['_unchanged'] = unchanged.length > 0 ? unchanged.join(',') : null;
  return out;
}

/** The canonical `_commit_ts` JSON value of an event, from a one-entry cache. */
export function commitTsJson(table: LakeTable, event: ChangeEvent): string | number | boolean | null {
  if (event.commit_ts !== lastCommitTs.text) {
    const json = typed(table, event, COMMIT_TS_COLUMN, event.commit_ts);
    lastCommitTs = { text: event.commit_ts, json };
  }
  return lastCommitTs.json;
}

function metadataColumn(name: string): LakeColumn {
  const column = METADATA.get(name);
  if (!column)
    throw new Error(`core/schema/lake-metadata-columns.ts has no column ${name}; the mapping needs it.`);
  return column;
}

/**
 * The source-side value of one lake column, before type checking (shared with lake-row-json.ts).
 *
 * @throws {RecordRejectedError} when the image lacks the source column or a derivation fails.
 */
export function derive(
  table: LakeTable,
  event: ChangeEvent,
  column: LakeColumn,
  rule: ColumnRule,
  image: RowImage,
): SourceValue {
  const value = image[rule.from];
  if (value === undefined) {
    throw new RecordRejectedError(
      `Lake table ${table.name}: the ${event.op === 'd' ? 'key' : 'row'} lacks source column ${rule.from} ` +
        `(for ${column.name}); the reader must send every column, or list it as unchanged on an update.`,
      { table: event.table, column: column.name, lsn: event.lsn },
    );
  }
  if (value === null || rule.kind === 'copy') return value;
  if (typeof value !== 'string') {
    throw rejectValue(table, event, column, `source column ${rule.from} is not text`);
  }
  if (rule.kind === 'currency-name') {
    const name = currencyName(value);
    if (name === undefined) {
      throw rejectValue(table, event, column, `source ${rule.from} is not an ISO 4217 currency code`);
    }
    return name;
  }
  try {
    // created_at and last_updated are each split twice (date, then time): remember the last split.
    if (value !== lastSplit.text) lastSplit = { text: value, parts: splitTimestamp(value) };
    return rule.kind === 'date-part' ? lastSplit.parts.date : lastSplit.parts.time;
  } catch (error) {
    if (!(error instanceof TimestampSplitError)) throw error;
    throw rejectValue(table, event, column, `source ${rule.from}: ${error.message}`, error);
  }
}

/**
 * Reads `raw` with the lake column's type and writes it back in canonical JSON form (shared with
 * lake-row-json.ts, which calls it for every value its fast paths do not cover).
 *
 * @throws {RecordRejectedError} naming the column when the value breaks its type.
 */
export function typed(
  table: LakeTable,
  event: ChangeEvent,
  column: LakeColumn,
  raw: SourceValue,
): string | number | boolean | null {
  let value: LakeValue;
  try {
    value = parseJsonValue(column, raw);
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    throw rejectValue(table, event, column, error.message, error);
  }
  return formatJsonValue(column, value);
}

function rejectValue(
  table: LakeTable,
  event: ChangeEvent,
  column: LakeColumn,
  problem: string,
  cause?: unknown,
): RecordRejectedError {
  return new RecordRejectedError(
    `Lake table ${table.name}, column ${column.name}, LSN ${event.lsn}: ${problem}. Fix the source row or ` +
      'the lake table definition in core/schema/lake/; the record is under the error prefix for replay.',
    { table: event.table, column: column.name, lsn: event.lsn },
    { cause },
  );
}
