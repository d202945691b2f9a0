/**
 * @module
 * The transformation's fast path: one change-event line in the shape the reader writes (`JSON.stringify`
 * of the events reader/change-events.ts builds, in reader/firehose-change-stream.ts) read byte by byte
 * straight into its lake row, without `JSON.parse` building an event object with its row images and
 * without a string per value. A canonical value's lake JSON is its own text in the event (an int, a decimal
 * `"2.43"`, a date, a string without escapes), so most of a lake row is copied from the event's bytes.
 *
 * It gives up at the first thing it is not sure of: an escape or a control character, a fraction or an
 * exponent, a field it does not know or sees twice, a column missing, unknown or of an unexpected kind, a
 * truncate or a watermark, a value outside its lake column's fast form (event-line-scan.ts). The caller
 * then reads the line through the general path (`JSON.parse`, `parseChangeEvent`, `lakeRowJson`), so what is
 * accepted, refused, and with which message, never depends on which path ran, and what this writes is
 * byte for byte what the general path writes (test/transform/canonical-event-lines.test.ts compares them
 * over generated events of every table). Each table's plan (its tokens and column writers) is
 * canonical-table-plans.ts.
 */
import { PLANS, type TablePlan, type Writer } from './canonical-table-plans.ts';
import { currencyName } from './currency-names.ts';
import {
  BOOLEAN,
  bytesOf,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COMMA,
  digitsEnd,
  digitsValue,
  isCanonicalDecimal,
  isCanonicalDigits,
  isCommitTimeAt,
  isDayAt,
  isInt32,
  isSourceTimestamp,
  matches,
  NULL,
  NUMBER,
  OPEN_BRACE,
  QUOTE,
  STRING,
  scanned,
  scanValue,
  stringEnd,
  type ValueKind,
} from './event-line-scan.ts';
import type { LakeRowBytes } from './lake-row-bytes.ts';

const TABLE_PREFIX = bytesOf('{"table":"');
const OP = bytesOf('"op":"');
const KEY = bytesOf('"key":{');
const ROW = bytesOf('"row":');
const LSN = bytesOf('"lsn":"');
const SEQ = bytesOf('"seq":');
const XID = bytesOf('"xid":');
const COMMIT = bytesOf('"commit_ts":');
const UNCHANGED = bytesOf('"unchanged":[');
const NULL_TEXT = bytesOf('null');
const LSN_PREFIX = bytesOf(',"_lsn":');
const SEQ_PREFIX = bytesOf(',"_seq":');
const XID_PREFIX = bytesOf(',"_xid":');
const COMMIT_PREFIX = bytesOf(',"_commit_ts":');
/** A commit time's JSON string, `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, and its day. */
const COMMIT_BYTES = 26;
const DAY_BYTES = 10;
const UNCHANGED_PREFIX = bytesOf(',"_unchanged":');
const DOT = 0x2e;
const ZERO = 0x30;

/** `_lsn` is written as it came when it has at most 18 digits (lake-row-json.ts, `CANONICAL_BIGINT`). */
const LSN_DIGITS = 18;
/** `_seq` is an int: ten digits are checked against 2^31 - 1. */
const SEQ_DIGITS = 10;
/** Up to 15 digits an integer is safe (below 2^53), as `_xid` needs; longer ones take the general path. */
const SAFE_DIGITS = 15;
const INT32_MAX = 2_147_483_647;
/** An update names at most this many unchanged columns here (a source table has at most 12). */
const MAX_UNCHANGED = 16;

/** Top-level fields, one bit each: a field seen twice leaves the fast path (`JSON.parse` keeps the last). */
const HAS_OP = 1;
const HAS_KEY = 2;
const HAS_ROW = 4;
const HAS_LSN = 8;
const HAS_SEQ = 16;
const HAS_XID = 32;
const HAS_COMMIT = 64;
const HAS_UNCHANGED = 128;
const REQUIRED = HAS_OP | HAS_KEY | HAS_LSN | HAS_SEQ | HAS_COMMIT;

const OP_INSERT = 0x63;
const OP_READ = 0x72;
const OP_UPDATE = 0x75;
const OP_DELETE = 0x64;

/** The plan of the last line read: a record holds one table's events. */
let lastPlan: TablePlan = PLANS[0] as TablePlan;

/** What the line being read holds beyond its row; reset at each line. */
const line = {
  end: 0,
  fields: 0,
  op: 0,
  rowObject: false,
  lsnStart: 0,
  lsnEnd: 0,
  seqStart: 0,
  seqEnd: 0,
  xidStart: 0,
  xidEnd: 0,
  /** Where `commit_ts`'s value (its opening quote) is. */
  commitStart: 0,
  /** The key column's value in `key`: where it starts and ends, and its kind (0: absent). */
  keyStart: 0,
  keyEnd: 0,
  keyKind: 0,
  unchangedCount: 0,
};
/** Where each `unchanged` entry's name starts (after its quote). */
const unchangedStarts = new Int32Array(MAX_UNCHANGED);

/**
 * The last commit time found valid (`"2022-11-03T14:20:52.186Z"`, its quotes included; empty at first) and
 * the last day read, as bytes and as the partition's text: no string is made while the day stays the same.
 */
const lastCommit = new Uint8Array(COMMIT_BYTES);
let lastCommitValid = false;
const lastDay = new Uint8Array(DAY_BYTES);
let lastDt = '';
/** A currency code's lake value, or null for a code ISO 4217 does not have. */
const CURRENCY_JSON = new Map<string, Uint8Array | null>();

/**
 * Appends the lake row of the change-event line `input[start, end)` (without its newline) and a newline to
 * `out`, and sets `out.table` and `out.dt`; returns false, with `out` as it was, for any line the general
 * path must read.
 */
export function writeCanonicalRow(input: Buffer, start: number, end: number, out: LakeRowBytes): boolean {
  if (!matches(input, start, end, TABLE_PREFIX)) return false;
  const plan = planAt(input, start + TABLE_PREFIX.length, end);
  if (
    plan === undefined ||
    !readFields(input, start + TABLE_PREFIX.length + plan.nameToken.length, end, plan)
  ) {
    return false;
  }
  const target = out.reserve((end - start) * plan.copies + plan.extraBytes);
  const at =
    line.op === OP_DELETE
      ? writeDelete(input, plan, target, out.length)
      : writeRow(input, plan, target, out.length);
  if (at < 0) return false;
  out.length = at;
  out.table = plan.table;
  out.dt = lastDt;
  return true;
}

function planAt(input: Buffer, at: number, end: number): TablePlan | undefined {
  if (matches(input, at, end, lastPlan.nameToken)) return lastPlan;
  for (const plan of PLANS) {
    if (matches(input, at, end, plan.nameToken)) {
      lastPlan = plan;
      return plan;
    }
  }
  return undefined;
}

/** Reads the fields after `table` into {@link line} and the plan's row slots; false to leave the fast path. */
function readFields(input: Buffer, from: number, end: number, plan: TablePlan): boolean {
  line.end = end;
  line.fields = 0;
  line.rowObject = false;
  line.keyKind = 0;
  line.unchangedCount = 0;
  nextGeneration(plan);
  let at = from;
  const last = end - 1;
  while (at < last) {
    if (input[at] !== COMMA) return false;
    at++;
    let field = 0;
    switch (input[at + 1]) {
      case 0x6f: // op
        if (!matches(input, at, end, OP) || input[at + 7] !== QUOTE) return false;
        line.op = input[at + 6] as number;
        if (line.op !== OP_INSERT && line.op !== OP_READ && line.op !== OP_UPDATE && line.op !== OP_DELETE) {
          return false;
        }
        field = HAS_OP;
        at += 8;
        break;
      case 0x6b: // key
        if (!matches(input, at, end, KEY)) return false;
        field = HAS_KEY;
        at = scanKey(input, at + KEY.length - 1, end, plan.keyToken);
        break;
      case 0x72: // row
        if (!matches(input, at, end, ROW)) return false;
        field = HAS_ROW;
        at += ROW.length;
        if (input[at] === OPEN_BRACE) {
          line.rowObject = true;
          at = scanRow(input, at, end, plan);
        } else {
          scanValue(input, at, end);
          at = scanned.kind === NULL ? scanned.end : -1;
        }
        break;
      case 0x6c: // lsn
        if (!matches(input, at, end, LSN)) return false;
        field = HAS_LSN;
        line.lsnStart = at + LSN.length - 1;
        at = digitsEnd(input, line.lsnStart + 1, end);
        if (input[at] !== QUOTE || !isCanonicalDigits(input, line.lsnStart + 1, at, LSN_DIGITS)) return false;
        line.lsnEnd = ++at;
        break;
      case 0x73: // seq
        if (!matches(input, at, end, SEQ)) return false;
        field = HAS_SEQ;
        line.seqStart = at + SEQ.length;
        line.seqEnd = at = digitsEnd(input, line.seqStart, end);
        if (!isCanonicalDigits(input, line.seqStart, at, SEQ_DIGITS)) return false;
        if (digitsValue(input, line.seqStart, at) > INT32_MAX) return false;
        break;
      case 0x78: // xid
        if (!matches(input, at, end, XID)) return false;
        field = HAS_XID;
        line.xidStart = at + XID.length;
        if (matches(input, line.xidStart, end, NULL_TEXT)) {
          at = line.xidStart + NULL_TEXT.length;
        } else {
          at = digitsEnd(input, line.xidStart, end);
          if (!isCanonicalDigits(input, line.xidStart, at, SAFE_DIGITS)) return false;
        }
        line.xidEnd = at;
        break;
      case 0x63: // commit_ts
        if (!matches(input, at, end, COMMIT)) return false;
        field = HAS_COMMIT;
        at = scanCommit(input, at + COMMIT.length, end);
        break;
      case 0x75: // unchanged
        if (!matches(input, at, end, UNCHANGED)) return false;
        field = HAS_UNCHANGED;
        at = scanUnchanged(input, at + UNCHANGED.length, end);
        break;
      default:
        return false;
    }
    if (at < 0 || (line.fields & field) !== 0) return false;
    line.fields |= field;
  }
  return at === last && input[last] === CLOSE_BRACE && (line.fields & REQUIRED) === REQUIRED;
}

/** Starts a scan of `plan`'s row: values seen in an earlier one no longer count. */
function nextGeneration(plan: TablePlan): void {
  plan.generation = (plan.generation + 1) >>> 0;
  if (plan.generation === 0) {
    plan.seen.fill(0);
    plan.generation = 1;
  }
}

/**
 * The event's `key` at its `{`: scalar members other than strings (source keys are integers; a string
 * would need checking for what `parseChangeEvent` refuses), of which the key column's value is kept (the
 * last, if named twice, as `JSON.parse` keeps it). Returns the index after `}`, or -1.
 */
function scanKey(input: Buffer, open: number, end: number, keyToken: Uint8Array): number {
  let at = open + 1;
  if (input[at] === CLOSE_BRACE) return at + 1;
  for (;;) {
    if (input[at] !== QUOTE) return -1;
    const isKey = matches(input, at, end, keyToken);
    const nameEnd = stringEnd(input, at + 1, end);
    if (nameEnd < 0 || input[nameEnd + 1] !== 0x3a) return -1;
    const valueStart = nameEnd + 2;
    scanValue(input, valueStart, end);
    if (scanned.end < 0 || scanned.kind === STRING) return -1;
    if (isKey) {
      line.keyStart = valueStart;
      line.keyEnd = scanned.end;
      line.keyKind = scanned.kind;
    }
    at = scanned.end;
    if (input[at] === CLOSE_BRACE) return at + 1;
    if (input[at] !== COMMA) return -1;
    at++;
  }
}

/**
 * The event's `row` at its `{`: every member a source column of the table, each at most once, with a
 * scalar value; the reader writes them in DDL order, which is tried first. Returns the index after `}`.
 */
function scanRow(input: Buffer, open: number, end: number, plan: TablePlan): number {
  const { sourceTokens, starts, ends, kinds, seen, generation } = plan;
  const count = sourceTokens.length;
  let at = open + 1;
  if (input[at] === CLOSE_BRACE) return at + 1;
  let expected = 0;
  for (;;) {
    let index =
      expected < count && matches(input, at, end, sourceTokens[expected] as Uint8Array) ? expected : -1;
    for (let candidate = 0; index < 0 && candidate < count; candidate++) {
      if (matches(input, at, end, sourceTokens[candidate] as Uint8Array)) index = candidate;
    }
    if (index < 0 || seen[index] === generation) return -1;
    const valueStart = at + (sourceTokens[index] as Uint8Array).length;
    scanValue(input, valueStart, end);
    if (scanned.end < 0) return -1;
    seen[index] = generation;
    starts[index] = valueStart;
    ends[index] = scanned.end;
    kinds[index] = scanned.kind;
    expected = index + 1;
    at = scanned.end;
    if (input[at] === CLOSE_BRACE) return at + 1;
    if (input[at] !== COMMA) return -1;
    at++;
  }
}

/** `unchanged`'s entries after its `[`: plain strings, at most {@link MAX_UNCHANGED}. Returns the index after `]`. */
function scanUnchanged(input: Buffer, from: number, end: number): number {
  let at = from;
  if (input[at] === CLOSE_BRACKET) return at + 1;
  for (;;) {
    if (input[at] !== QUOTE || line.unchangedCount === MAX_UNCHANGED) return -1;
    const close = stringEnd(input, at + 1, end);
    if (close < 0) return -1;
    unchangedStarts[line.unchangedCount++] = at + 1;
    at = close + 1;
    if (input[at] === CLOSE_BRACKET) return at + 1;
    if (input[at] !== COMMA) return -1;
    at++;
  }
}

/**
 * `commit_ts` at its opening quote: `"YYYY-MM-DDTHH:MM:SS.mmmZ"` naming a real time in the lake's years (what
 * `parseChangeEvent` accepts and `lakeRowJson` writes as `"YYYY-MM-DD HH:MM:SS.mmm"`, lake/lake-value.ts).
 * The events of one transaction share it, so the last one read is compared first. Returns the index after it.
 */
function scanCommit(input: Buffer, at: number, end: number): number {
  if (at + COMMIT_BYTES > end) return -1;
  line.commitStart = at;
  if (!(lastCommitValid && matches(input, at, end, lastCommit))) {
    if (input[at] !== QUOTE || input[at + COMMIT_BYTES - 1] !== QUOTE || !isCommitTimeAt(input, at + 1))
      return -1;
    lastCommit.set(input.subarray(at, at + COMMIT_BYTES));
    lastCommitValid = true;
  }
  if (lastDt === '' || !matches(input, at + 1, end, lastDay)) {
    lastDay.set(input.subarray(at + 1, at + 1 + DAY_BYTES));
    lastDt = input.toString('latin1', at + 1, at + 1 + DAY_BYTES);
  }
  return at + COMMIT_BYTES;
}

/** The row of an insert, snapshot read or update (`lakeRowJson`'s first branch); the index after it, or -1. */
function writeRow(input: Buffer, plan: TablePlan, target: Buffer, from: number): number {
  if (!line.rowObject) return -1;
  const update = line.op === OP_UPDATE;
  // `unchanged` counts only on an update (parseChangeEvent reads it there alone); elsewhere: general path.
  if (!update && (line.fields & HAS_UNCHANGED) !== 0) return -1;
  const { columns, starts, ends, kinds, seen, generation } = plan;
  let unchanged: string | undefined;
  let at = from;
  target[at++] = OPEN_BRACE;
  for (const column of columns) {
    at = put(target, at, column.prefix);
    const source = column.source;
    if (update && line.unchangedCount > 0 && isUnchanged(input, plan, source)) {
      unchanged = unchanged === undefined ? column.name : `${unchanged},${column.name}`;
      at = put(target, at, NULL_TEXT);
      continue;
    }
    if (seen[source] !== generation) return -1;
    at = writeValue(
      input,
      column.writer,
      starts[source] as number,
      ends[source] as number,
      kinds[source] as ValueKind,
      target,
      at,
    );
    if (at < 0) return -1;
  }
  at = writeMetadata(input, plan, target, at);
  at = put(target, at, UNCHANGED_PREFIX);
  if (unchanged === undefined) {
    at = put(target, at, NULL_TEXT);
  } else {
    target[at++] = QUOTE;
    at += target.write(unchanged, at, 'latin1');
    target[at++] = QUOTE;
  }
  target[at++] = CLOSE_BRACE;
  target[at++] = 0x0a;
  return at;
}

/** The row of a delete: the key column from the event's key, every other column null. */
function writeDelete(input: Buffer, plan: TablePlan, target: Buffer, from: number): number {
  if ((line.fields & HAS_UNCHANGED) !== 0 || line.keyKind === 0) return -1;
  let at = from;
  target[at++] = OPEN_BRACE;
  for (const column of plan.columns) {
    at = put(target, at, column.prefix);
    if (!column.isKey) {
      at = put(target, at, NULL_TEXT);
      continue;
    }
    at = writeValue(input, column.writer, line.keyStart, line.keyEnd, line.keyKind as ValueKind, target, at);
    if (at < 0) return -1;
  }
  at = writeMetadata(input, plan, target, at);
  at = put(target, at, UNCHANGED_PREFIX);
  at = put(target, at, NULL_TEXT);
  target[at++] = CLOSE_BRACE;
  target[at++] = 0x0a;
  return at;
}

/** `_op`, `_lsn`, `_seq`, `_xid` and `_commit_ts`, as `lakeRowJson` writes them. */
function writeMetadata(input: Buffer, plan: TablePlan, target: Buffer, from: number): number {
  let at = put(target, from, plan.opPrefix);
  target[at++] = QUOTE;
  target[at++] = line.op;
  target[at++] = QUOTE;
  at = put(target, at, LSN_PREFIX);
  at = copy(input, line.lsnStart, line.lsnEnd, target, at);
  at = put(target, at, SEQ_PREFIX);
  at = copy(input, line.seqStart, line.seqEnd, target, at);
  at = put(target, at, XID_PREFIX);
  if ((line.fields & HAS_XID) === 0 || input[line.xidStart] === 0x6e) {
    at = put(target, at, NULL_TEXT);
  } else {
    target[at++] = QUOTE;
    at = copy(input, line.xidStart, line.xidEnd, target, at);
    target[at++] = QUOTE;
  }
  at = put(target, at, COMMIT_PREFIX);
  // `"YYYY-MM-DD HH:MM:SS.mmm"`: the commit time's own day and time, without its `T` and `Z`.
  const commit = line.commitStart;
  at = copy(input, commit, commit + 1 + DAY_BYTES, target, at);
  target[at++] = 0x20;
  at = copy(input, commit + 12, commit + 24, target, at);
  target[at++] = QUOTE;
  return at;
}

function isUnchanged(input: Buffer, plan: TablePlan, source: number): boolean {
  const token = plan.unchangedTokens[source] as Uint8Array;
  for (let index = 0; index < line.unchangedCount; index++) {
    if (matches(input, unchangedStarts[index] as number, line.end, token)) return true;
  }
  return false;
}

/**
 * Writes a source value `[start, end)` of kind `kind` as its lake column's JSON, as `lakeRowJson` writes
 * it; -1 when that needs the general path (`typed`, lake-row-mapping.ts): the value's kind or form is not
 * the one its lake column takes as it is.
 */
function writeValue(
  input: Buffer,
  writer: Writer | undefined,
  start: number,
  end: number,
  kind: ValueKind,
  target: Buffer,
  at: number,
): number {
  if (kind === NULL) return put(target, at, NULL_TEXT);
  switch (writer) {
    case 'int':
      return kind === NUMBER && isInt32(input, start, end) ? copy(input, start, end, target, at) : -1;
    case 'boolean':
      return kind === BOOLEAN ? copy(input, start, end, target, at) : -1;
    case 'string':
      return kind === STRING ? copy(input, start, end, target, at) : -1;
    case 'decimal':
      return kind === STRING && isCanonicalDecimal(input, start + 1, end - 1)
        ? copy(input, start, end, target, at)
        : -1;
    case 'date':
      return kind === STRING && end - start === 12 && isDayAt(input, start + 1)
        ? copy(input, start, end, target, at)
        : -1;
    case 'date-part': {
      if (kind !== STRING || !isSourceTimestamp(input, start + 1, end - 1)) return -1;
      const next = copy(input, start, start + 11, target, at);
      target[next] = QUOTE;
      return next + 1;
    }
    case 'time-part': {
      if (kind !== STRING || !isSourceTimestamp(input, start + 1, end - 1)) return -1;
      // `HH:MM:SS` with the fraction padded to three digits (timestamp-split.ts).
      const length = end - start;
      target[at] = QUOTE;
      let next = copy(input, start + 12, end - 1, target, at + 1);
      if (length === 21) target[next++] = DOT;
      for (let zeros = length === 21 ? 3 : 25 - length; zeros > 0; zeros--) target[next++] = ZERO;
      target[next] = QUOTE;
      return next + 1;
    }
    case 'currency-name': {
      const json = kind === STRING ? currencyJson(input, start + 1, end - 1) : undefined;
      return json === undefined ? -1 : put(target, at, json);
    }
    case undefined:
      return -1;
  }
}

/**
 * The lake value of the currency code `input[start, end)`, when it is three capitals naming an ISO 4217
 * currency (`currencyName`); remembered per code, of which there are at most 26^3.
 */
function currencyJson(input: Buffer, start: number, end: number): Uint8Array | undefined {
  if (end - start !== 3) return undefined;
  for (let index = start; index < end; index++) {
    const byte = input[index] as number;
    if (byte < 0x41 || byte > 0x5a) return undefined;
  }
  const code = input.toString('latin1', start, end);
  let json = CURRENCY_JSON.get(code);
  if (json === undefined) {
    const name = currencyName(code);
    json = name === undefined ? null : new Uint8Array(Buffer.from(JSON.stringify(name), 'utf8'));
    CURRENCY_JSON.set(code, json);
  }
  return json ?? undefined;
}

/** Writes `token` at `at`; returns the index after it. */
function put(target: Uint8Array, at: number, token: Uint8Array): number {
  const length = token.length;
  for (let index = 0; index < length; index++) target[at + index] = token[index] as number;
  return at + length;
}

/** Copies `input[start, end)` to `at`; returns the index after it. Values are short: no native call. */
function copy(input: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  let next = at;
  for (let index = start; index < end; index++) target[next++] = input[index] as number;
  return next;
}
