/**
 * @module
 * Writes the lake row of a change event straight as JSON text: `lakeRowJson(event)` is exactly
 * `JSON.stringify(mapChangeEvent(event))`, built by string concatenation from per-table plans instead of an
 * object per row, since the transformation Lambda does this for every event it receives.
 *
 * Each lake column type has a fast path for the values the reader sends in canonical form (an int as a JSON
 * number, a decimal as `"123.45"`, a date as `"YYYY-MM-DD"`...), whose JSON text is the input itself. Any
 * other value goes through `typed` (lake-row-mapping.ts), the generic read-and-format, so refusals and their
 * messages, and every non-canonical value, are exactly as `mapChangeEvent` gives them.
 */
import type { ChangeEvent, SourceValue } from '../core/change-event.ts';
import {
  type LakeColumn,
  type LakeColumnType,
  type LakeTable,
  lakeTableForSource,
} from '../core/schema/lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { canonicalTimestampMillis, isCalendarDate } from '../lake/lake-value.ts';
import {
  COLUMN_MAPPINGS,
  type ColumnRule,
  commitTsJson,
  derive,
  LSN_COLUMN,
  SEQ_COLUMN,
  typed,
  XID_COLUMN,
} from './lake-row-mapping.ts';

/** The JSON text of a non-null value when it is already canonical, else undefined (use the generic path). */
type FastJson = (value: Exclude<SourceValue, null>) => string | undefined;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** At most 18 digits is always inside a signed 64-bit integer; no leading zero, no `-0`, no `+`. */
const CANONICAL_BIGINT = /^(?:0|-?[1-9]\d{0,17})$/;
/** decimal(10,2) as formatJsonValue writes it: two fraction digits, no leading zero, at most 10 digits. */
const CANONICAL_DECIMAL = /^-?(?:0|[1-9]\d{0,7})\.\d\d$/;

/**
 * Fast paths by Glue type. Each returns what `JSON.stringify(formatJsonValue(c, parseJsonValue(c, v)))`
 * returns, or undefined when it cannot be sure without the generic path.
 */
const FAST_JSON: { readonly [T in LakeColumnType]: FastJson } = {
  int: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? String(v) : undefined,
  bigint: (v) => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? `"${v}"` : undefined;
    return typeof v === 'string' && CANONICAL_BIGINT.test(v) ? `"${v}"` : undefined;
  },
  // "-0.00" reads as zero and is written "0.00".
  'decimal(10,2)': (v) =>
    typeof v === 'string' && v !== '-0.00' && CANONICAL_DECIMAL.test(v) ? `"${v}"` : undefined,
  // A calendar date is digits and dashes only: nothing to escape.
  date: (v) => (typeof v === 'string' && isCalendarDate(v) ? `"${v}"` : undefined),
  string: (v) => (typeof v === 'string' ? JSON.stringify(v) : undefined),
  boolean: (v) => (typeof v === 'boolean' ? String(v) : undefined),
  timestamp: () => undefined,
  // No source column has this type (market data never passes through the CDC transformation's mapping).
  'decimal(18,8)': () => undefined,
};

/** One business column of a table's plan. */
interface ColumnPlan {
  readonly column: LakeColumn;
  readonly rule: ColumnRule;
  /** `"name":`, preceded by a comma for every column but the first. */
  readonly prefix: string;
  readonly isKey: boolean;
  readonly fast: FastJson;
}

interface TablePlan {
  readonly table: LakeTable;
  readonly columns: readonly ColumnPlan[];
  /** What precedes the `_op` value: `{"_op":` for a table without business columns, else `,"_op":`. */
  readonly opPrefix: string;
}

const PLANS = new Map<SourceTableName, TablePlan>();

function planFor(source: SourceTableName): TablePlan {
  let plan = PLANS.get(source);
  if (plan) return plan;
  const table = lakeTableForSource(source);
  const columns = COLUMN_MAPPINGS[table.name].map(
    ({ column, rule }, index): ColumnPlan => ({
      column,
      rule,
      prefix: `${index === 0 ? '' : ','}${JSON.stringify(column.name)}:`,
      isKey: column.name === table.keyColumn,
      fast: FAST_JSON[column.type],
    }),
  );
  plan = { table, columns, opPrefix: columns.length === 0 ? '"_op":' : ',"_op":' };
  PLANS.set(source, plan);
  return plan;
}

/**
 * The lake row of one change event as JSON text, equal to `JSON.stringify(mapChangeEvent(event))`.
 *
 * @throws {RecordRejectedError} exactly as `mapChangeEvent` does.
 */
export function lakeRowJson(event: ChangeEvent): string {
  const { table, columns, opPrefix } = planFor(event.table);
  let out = '{';
  let unchanged: string[] | undefined;
  if (event.op === 'c' || event.op === 'r' || event.op === 'u') {
    const skipped = event.op === 'u' && event.unchanged?.length ? new Set(event.unchanged) : undefined;
    for (const plan of columns) {
      if (skipped?.has(plan.rule.from)) {
        unchanged ??= [];
        unchanged.push(plan.column.name);
        out += `${plan.prefix}null`;
      } else {
        out +=
          plan.prefix +
          valueJson(table, event, plan, derive(table, event, plan.column, plan.rule, event.row));
      }
    }
  } else {
    for (const plan of columns) {
      const raw =
        event.op === 'd' && plan.isKey ? derive(table, event, plan.column, plan.rule, event.key) : null;
      out += plan.prefix + valueJson(table, event, plan, raw);
    }
  }
  out += `${opPrefix}${JSON.stringify(event.op)}`;
  out += `,"_lsn":${FAST_JSON.bigint(event.lsn) ?? JSON.stringify(typed(table, event, LSN_COLUMN, event.lsn))}`;
  out += `,"_seq":${FAST_JSON.int(event.seq) ?? JSON.stringify(typed(table, event, SEQ_COLUMN, event.seq))}`;
  out += `,"_xid":${jsonOf(table, event, XID_COLUMN, event.xid, FAST_JSON.bigint)}`;
  out += `,"_commit_ts":${commitTsText(table, event)}`;
  out += `,"_unchanged":${unchanged ? JSON.stringify(unchanged.join(',')) : 'null'}}`;
  return out;
}

/**
 * A commit time `YYYY-MM-DDTHH:MM:SS.mmmZ` is written `"YYYY-MM-DD HH:MM:SS.mmm"` when it names a real
 * time in the lake's years; anything else takes the generic path.
 */
function commitTsText(table: LakeTable, event: ChangeEvent): string {
  const text = event.commit_ts;
  if (text.length === 24 && canonicalTimestampMillis(text) !== undefined) {
    return `"${text.slice(0, 10)} ${text.slice(11, 23)}"`;
  }
  return JSON.stringify(commitTsJson(table, event));
}

function valueJson(table: LakeTable, event: ChangeEvent, plan: ColumnPlan, raw: SourceValue): string {
  return jsonOf(table, event, plan.column, raw, plan.fast);
}

function jsonOf(
  table: LakeTable,
  event: ChangeEvent,
  column: LakeColumn,
  raw: SourceValue,
  fast: FastJson,
): string {
  if (raw === null) return 'null';
  return fast(raw) ?? JSON.stringify(typed(table, event, column, raw));
}
