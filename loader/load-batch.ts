/**
 * @module
 * Builds one load batch from the loader queries' rows as they stream in, a batch of rows at a time
 * (core/memory-bounds.ts: `loaderBatchRows`), so a load holds one batch per table whatever the size of the
 * transactions it brings in: dimensions as the latest version per key, facts as one row per committed version
 * or delete (unchanged-TOAST columns filled from the previous version in the batch, snapshot re-reads identical
 * to the previous version dropped), and dim_date covering every date a fact references. What needs the
 * warehouse's current rows (the first version of an order in the batch, dimension rows with unchanged columns)
 * is left to the warehouse, which fills it from its own rows in the same transaction.
 */
import type { QueryResult } from '../core/ports/query-engine.ts';
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
 * Each star table's window query as batches of rows, read only when the warehouse stages that table; a table
 * left out has nothing to load. A fact table's rows come ordered by key, then `_lsn`, `_seq`
 * (`queries/loader/fact_*.sql`), so an order's versions are next to each other.
 */
export type WindowBatches = Readonly<Partial<Record<QueriedTable, AsyncIterable<QueryResult>>>>;

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

type Row = (string | null)[];

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
  const noteCommits = (columns: readonly string[], rows: readonly (readonly (string | null)[])[]) => {
    const [lsnAt, tsAt] = [columns.indexOf('_lsn'), columns.indexOf('_commit_ts')];
    for (const row of rows) {
      const lsn = row[lsnAt];
      const ts = row[tsAt];
      if (lsn && ts && BigInt(lsn) > prevLsn && (newestCommit === null || ts > newestCommit))
        newestCommit = ts;
    }
  };

  async function* dimensionRows(table: QueriedTable, source: AsyncIterable<QueryResult>) {
    for await (const result of source) {
      // Copied only where rows are changed (a join's placeholders); the others pass through as read.
      let rows: readonly (readonly (string | null)[])[] = result.rows;
      if (table === 'dim_staff' || table === 'dim_counterparty') {
        const copies = result.rows.map((row) => [...row]);
        figures.missingJoins.push(...fillMissingJoin(table, result.columns, copies));
        rows = copies;
      }
      noteCommits(result.columns, rows);
      figures.rowsRead[table] = (figures.rowsRead[table] ?? 0) + rows.length;
      yield { columns: result.columns, rows } satisfies RowBatch;
    }
  }

  async function* factRows(table: (typeof FACT_TABLE_NAMES)[number], source: AsyncIterable<QueryResult>) {
    const chain = new VersionChain(table);
    for await (const result of source) {
      const rows = chain.resolve(result);
      const dateColumns = LAKE_TABLES[table].columns
        .filter((c) => c.type === 'date')
        .map((c) => result.columns.indexOf(c.name));
      for (const row of rows)
        for (const i of dateColumns) {
          const value = row[i];
          if (value) dates.add(value);
        }
      noteCommits(result.columns, rows);
      figures.rowsRead[table] = (figures.rowsRead[table] ?? 0) + result.rows.length;
      yield { columns: result.columns, rows } satisfies RowBatch;
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
  const ahead = readAhead(order.map((table) => windows[table] as AsyncIterable<QueryResult>));
  const tables: StreamedTableRows[] = order.map((table, i) => {
    const source = ahead.windows[i] as AsyncIterable<QueryResult>;
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
 * held.
 */
class VersionChain {
  readonly #table: (typeof FACT_TABLE_NAMES)[number];
  #key: string | undefined;
  #prior: readonly (string | null)[] | undefined;
  #last: { readonly lsn: bigint; readonly seq: number } | undefined;
  dropped = 0;

  constructor(table: (typeof FACT_TABLE_NAMES)[number]) {
    this.#table = table;
  }

  resolve(result: QueryResult): (readonly (string | null)[])[] {
    const column = (name: string) => result.columns.indexOf(name);
    const [keyAt, opAt, lsnAt, seqAt, unchangedAt] = [
      column(LAKE_TABLES[this.#table].keyColumn),
      column('_op'),
      column('_lsn'),
      column('_seq'),
      column('_unchanged'),
    ];
    const business = result.columns.map((name, i) => (name.startsWith('_') ? -1 : i)).filter((i) => i >= 0);
    const rows: (readonly (string | null)[])[] = [];
    for (const source of result.rows) {
      // Copied only when unchanged columns are filled in; every other version passes through as read.
      let row: readonly (string | null)[] = source;
      const key = String(row[keyAt]);
      const version = { lsn: BigInt(row[lsnAt] ?? '0'), seq: Number(row[seqAt] ?? 0) };
      if (key !== this.#key) {
        this.#key = key;
        this.#prior = undefined;
      } else if (
        this.#last &&
        (version.lsn < this.#last.lsn || (version.lsn === this.#last.lsn && version.seq < this.#last.seq))
      ) {
        throw new WindowOrderError(
          `The ${this.#table} window query returned ${LAKE_TABLES[this.#table].keyColumn} ${key}'s versions out ` +
            'of commit order; its rows must be ordered by key, then _lsn and _seq (queries/loader/).',
        );
      }
      this.#last = version;
      if (row[opAt] === 'd') {
        // A delete ends the chain: a version after it (a re-insert, a re-read) is never "unchanged".
        this.#prior = undefined;
        rows.push(row);
        continue;
      }
      const prior = this.#prior;
      const unchanged = row[unchangedAt];
      if (prior && unchanged) {
        const filled = [...source];
        for (const name of unchanged.split(',')) {
          const i = column(name.trim());
          if (i >= 0) filled[i] = prior[i] ?? null;
        }
        filled[unchangedAt] = null;
        row = filled;
      }
      if (prior && row[opAt] === 'r' && business.every((i) => row[i] === prior[i])) {
        this.dropped++;
        continue;
      }
      this.#prior = row;
      rows.push(row);
    }
    return rows;
  }
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
