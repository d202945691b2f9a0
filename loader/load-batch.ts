/**
 * @module
 * Builds one load batch from the loader queries' rows as they stream in, a batch of rows at a time
 * (core/memory-bounds.ts: `loaderBatchRows`), so a load holds one batch per table whatever the size of the
 * transactions it brings in: dimensions as the latest version per key, facts as one row per committed version
 * or delete (unchanged-TOAST columns filled from the previous version in the batch, snapshot re-reads identical
 * to the previous version dropped), and dim_date covering every date a fact references. What needs the
 * warehouse's current rows (the first version of an order in the batch, dimension rows with unchanged columns)
 * is left to the warehouse, which fills it from its own rows in the same transaction. Rows travel as the CSV
 * records the staging COPY reads (core/csv-record.ts); only the fields these rules act on are read back.
 */

import { csvRecord, csvValues, lineFields } from '../core/csv-record.ts';
import type { LineResult } from '../core/ports/query-engine.ts';
import type { Cut, LakeWatermark, LoadBatch, RowBatch, StreamedTableRows } from '../core/ports/warehouse.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import {
  DIMENSION_TABLE_NAMES,
  FACT_TABLE_NAMES,
  isFactTable,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from './dim-date.ts';
import { readAhead } from './read-ahead.ts';

/** A star table the loader queries (every one but dim_date). */
export type QueriedTable = Exclude<WarehouseTableName, 'dim_date'>;

/**
 * Each star table's window query as batches of records (core/csv-record.ts), read only when the warehouse
 * stages that table; a table left out has nothing to load. A fact table's rows come ordered by key, then `_lsn`,
 * `_seq` (`queries/loader/fact_*.sql`), so an order's versions are next to each other.
 */
export type WindowBatches = Readonly<Partial<Record<QueriedTable, AsyncIterable<LineResult>>>>;

/** Placeholder the warehouse contract uses for NOT NULL text it cannot know. */
export const UNKNOWN = 'unknown';

/** What building the batch noticed; complete once the warehouse has read every table of it. */
export interface LoadBatchFigures {
  /** Rows each window query returned. */
  readonly rowsRead: Partial<Record<QueriedTable, number>>;
  /** Fact versions dropped because they were snapshot re-reads of an unchanged order. */
  unchangedReReads: number;
  /** Staff whose department (or counterparties whose address) was missing from the lake, as `table:key`. */
  readonly missingJoins: string[];
}

/** The batch, and its figures. */
export interface BuiltBatch {
  readonly batch: LoadBatch;
  readonly figures: LoadBatchFigures;
  /** Ends the window read ahead of a load that failed before reaching it (loader/read-ahead.ts). */
  close(): Promise<void>;
}

/** A window query's rows were not in the order the loader reads them in (a bug in the query). */
export class WindowOrderError extends Error {
  override readonly name = 'WindowOrderError';
}

/**
 * The batch bringing the warehouse from `fromCut` to `toCutLsn`: dimensions, then facts, then dim_date (its
 * dates are those of the facts before it), each read from `windows` as the warehouse stages it, the next table's
 * first batch requested while the warehouse stages the one before it (loader/read-ahead.ts). Its
 * `toCut.commitTs` is the newest commit among the rows, final once every table was read (the warehouse reads
 * it when it records the cut, after staging).
 */
export function buildLoadBatch(
  fromCut: Cut | null,
  toCutLsn: string,
  windows: WindowBatches,
  watermarks: readonly LakeWatermark[],
  options: {
    /**
     * A check that runs beside the lake reads and must pass for the batch to commit: dim_date, the batch's last
     * table, is read only once it has, so its failure fails the load inside the transaction.
     */
    readonly passing?: Promise<unknown>;
  } = {},
): BuiltBatch {
  const figures: LoadBatchFigures = { rowsRead: {}, unchangedReReads: 0, missingJoins: [] };
  const dates = new Set<string>();
  const prevLsn = fromCut === null ? -1n : BigInt(fromCut.lsn);
  let newestCommit: string | null = null;
  // The newest commit time above the previous cut; the text compare first, so a row older than the newest
  // seen costs no LSN parse.
  const noteCommit = (lsn: string | null, ts: string | null) => {
    if (ts && (newestCommit === null || ts > newestCommit) && lsn && BigInt(lsn) > prevLsn) newestCommit = ts;
  };

  async function* dimensionRows(table: QueriedTable, source: AsyncIterable<LineResult>) {
    let fields: ReturnType<typeof lineFields> | undefined;
    let missingJoin: MissingJoin | undefined;
    for await (const result of source) {
      if (fields === undefined) {
        missingJoin =
          table === 'dim_staff' || table === 'dim_counterparty'
            ? missingJoinOf(table, result.columns)
            : undefined;
        fields = lineFields(result.columns, [
          '_lsn',
          '_commit_ts',
          '_op',
          ...(missingJoin ? [missingJoin.key, missingJoin.probe] : []),
        ]);
      }
      // Copied only where rows are changed (a join's placeholders); the others pass through as read.
      let lines: readonly string[] = result.lines;
      let copies: string[] | undefined;
      for (const [i, line] of result.lines.entries()) {
        const [lsn, ts, op, key, probe] = fields.read(line);
        noteCommit(lsn ?? null, ts ?? null);
        if (missingJoin === undefined || op === 'd' || probe !== null) continue;
        copies ??= [...result.lines];
        copies[i] = missingJoin.fill(csvValues(line, result.columns.length));
        figures.missingJoins.push(`${table}:${key}`);
      }
      if (copies !== undefined) lines = copies;
      figures.rowsRead[table] = (figures.rowsRead[table] ?? 0) + lines.length;
      yield { columns: result.columns, lines } satisfies RowBatch;
    }
  }

  async function* factRows(table: (typeof FACT_TABLE_NAMES)[number], source: AsyncIterable<LineResult>) {
    const chain = new VersionChain(table);
    const dateColumns = LAKE_TABLES[table].columns.filter((c) => c.type === 'date').map((c) => c.name);
    for await (const result of source) {
      const lines = chain.resolve(
        result,
        (lsn, ts, dateValues) => {
          noteCommit(lsn, ts);
          for (const value of dateValues) if (value) dates.add(value);
        },
        dateColumns,
      );
      figures.rowsRead[table] = (figures.rowsRead[table] ?? 0) + result.lines.length;
      yield { columns: result.columns, lines } satisfies RowBatch;
    }
    figures.unchangedReReads += chain.dropped;
  }

  async function* dateRows() {
    await options.passing;
    yield { columns: DIM_DATE_COLUMNS, rows: [...dates].sort().map(dimDateRow) } satisfies RowBatch;
  }

  const order = [...DIMENSION_TABLE_NAMES, ...FACT_TABLE_NAMES].filter(
    (table): table is QueriedTable => table !== 'dim_date' && windows[table] !== undefined,
  );
  const ahead = readAhead(order.map((table) => windows[table] as AsyncIterable<LineResult>));
  const tables: StreamedTableRows[] = order.map((table, i) => {
    const source = ahead.windows[i] as AsyncIterable<LineResult>;
    return isFactTable(table)
      ? { table, batches: factRows(table, source) }
      : { table, batches: dimensionRows(table, source) };
  });
  tables.push({ table: 'dim_date', batches: dateRows() });
  const batch: LoadBatch = {
    fromCut,
    get toCut(): Cut {
      return {
        lsn: toCutLsn,
        commitTs: newestCommit === null ? (fromCut?.commitTs ?? null) : isoUtc(newestCommit),
      };
    },
    tables,
    watermarks,
  };
  return { batch, figures, close: ahead.close };
}

/**
 * A fact's versions and deletes, an order at a time (its rows in commit order, orders one after another):
 * unchanged-TOAST columns take the previous version's value (and leave `_unchanged` for the warehouse only when
 * there is none), and a snapshot re-read equal to the previous version is dropped. A delete is kept (the
 * warehouse records it) and leaves no previous version behind it. Only the current order's previous version is
 * held. A record is read whole only where a version is compared with or filled from the one before it.
 */
class VersionChain {
  readonly #table: (typeof FACT_TABLE_NAMES)[number];
  #key: string | undefined;
  #prior: string | undefined;
  #last: { readonly lsn: bigint; readonly seq: number } | undefined;
  dropped = 0;

  constructor(table: (typeof FACT_TABLE_NAMES)[number]) {
    this.#table = table;
  }

  /**
   * The batch's records to stage; `kept` sees each one's `_lsn`, `_commit_ts` and `dateColumns` values.
   */
  resolve(
    result: LineResult,
    kept: (lsn: string | null, ts: string | null, dates: readonly (string | null)[]) => void,
    dateColumns: readonly string[],
  ): string[] {
    const { columns } = result;
    const keyColumn = LAKE_TABLES[this.#table].keyColumn;
    const fields = lineFields(columns, [
      keyColumn,
      '_op',
      '_lsn',
      '_seq',
      '_unchanged',
      '_commit_ts',
      ...dateColumns,
    ]);
    const unchangedAt = columns.indexOf('_unchanged');
    const dateAt = dateColumns.map((name) => columns.indexOf(name));
    const business = columns.map((name, i) => (name.startsWith('_') ? -1 : i)).filter((i) => i >= 0);
    const dateValues: (string | null)[] = new Array(dateColumns.length);
    const lines: string[] = [];
    for (const source of result.lines) {
      const read = fields.read(source);
      let line = source;
      const key = String(read[0]);
      const [op, lsnText, seqText, unchanged, ts] = [
        read[1],
        read[2] ?? null,
        read[3],
        read[4],
        read[5] ?? null,
      ];
      const version = { lsn: BigInt(lsnText ?? '0'), seq: Number(seqText ?? 0) };
      if (key !== this.#key) {
        this.#key = key;
        this.#prior = undefined;
      } else if (
        this.#last &&
        (version.lsn < this.#last.lsn || (version.lsn === this.#last.lsn && version.seq < this.#last.seq))
      ) {
        throw new WindowOrderError(
          `The ${this.#table} window query returned ${keyColumn} ${key}'s versions out ` +
            'of commit order; its rows must be ordered by key, then _lsn and _seq (queries/loader/).',
        );
      }
      this.#last = version;
      for (let i = 0; i < dateValues.length; i++) dateValues[i] = read[6 + i] ?? null;
      if (op === 'd') {
        // A delete ends the chain: a version after it (a re-insert, a re-read) is never "unchanged".
        this.#prior = undefined;
        kept(lsnText, ts, dateValues);
        lines.push(line);
        continue;
      }
      const prior = this.#prior;
      if (prior !== undefined && (unchanged || op === 'r')) {
        const values = csvValues(source, columns.length);
        const before = csvValues(prior, columns.length);
        if (unchanged) {
          for (const name of unchanged.split(',')) {
            const i = columns.indexOf(name.trim());
            if (i >= 0) values[i] = before[i] ?? null;
          }
          values[unchangedAt] = null;
          for (const [i, at] of dateAt.entries()) dateValues[i] = values[at] ?? null;
          line = csvRecord(values);
        }
        if (op === 'r' && business.every((i) => values[i] === before[i])) {
          this.dropped++;
          continue;
        }
      }
      this.#prior = line;
      kept(lsnText, ts, dateValues);
      lines.push(line);
    }
    return lines;
  }
}

/** A staff member's missing department, or a counterparty's missing legal address, in one shape of records. */
interface MissingJoin {
  readonly key: string;
  /** The joined column that is null when the join found nothing. */
  readonly probe: string;
  /** The record with the joined NOT NULL columns set to {@link UNKNOWN}. */
  fill(values: (string | null)[]): string;
}

/**
 * A staff member whose department, or a counterparty whose legal address, is not in the lake (an incomplete
 * import) still loads: the joined NOT NULL columns become 'unknown' and the key is reported.
 */
function missingJoinOf(
  table: 'dim_staff' | 'dim_counterparty',
  columns: readonly string[],
): MissingJoin | undefined {
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
  const at = required.map((name) => columns.indexOf(name));
  // A query without the joined columns has no join to miss.
  if ((at[0] ?? -1) < 0) return undefined;
  return {
    key: LAKE_TABLES[table].keyColumn,
    probe: required[0] as string,
    fill: (values) => {
      for (const i of at) if (i >= 0) values[i] = UNKNOWN;
      return csvRecord(values);
    },
  };
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC wall time) as ISO-8601 UTC. */
export function isoUtc(lakeTimestamp: string): string {
  return `${lakeTimestamp.replace(' ', 'T')}Z`;
}
