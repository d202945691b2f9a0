/**
 * @module
 * A window query's rows as CSV records (core/csv-record.ts), the form the loader carries them in from the query
 * engine to the warehouse's staging COPY: from the engine's `queryLines` when it has one (both engines do), else
 * rendered here from `queryBatches`' rows (a wrapper or a test double without it). The loader reads back from a
 * record only the few fields it acts on ({@link LineFields}).
 */
import { CsvFieldReader, csvRecord, csvValues } from '../core/csv-record.ts';
import type { LineResult, QueryEngine, QueryParameter } from '../core/ports/query-engine.ts';

/** A statement's rows as records, `batchRows` at a time (core/ports/query-engine.ts, Lines). */
export function queryLines(
  engine: QueryEngine,
  sql: string,
  parameters: readonly QueryParameter[],
  batchRows: number,
): AsyncIterable<LineResult> {
  if (engine.queryLines !== undefined) return engine.queryLines(sql, parameters, batchRows);
  return (async function* () {
    for await (const batch of engine.queryBatches(sql, parameters, batchRows))
      yield { columns: batch.columns, lines: batch.rows.map(csvRecord) };
  })();
}

/**
 * The named fields of records of one shape, read by name: `read(line)` fills `values` in `names`' order (a name
 * the shape lacks reads as null). One array is reused record after record.
 */
export class LineFields<Name extends string> {
  readonly #reader: CsvFieldReader;
  readonly #slots: readonly number[];
  readonly #at: Readonly<Record<Name, number>>;
  readonly #found: (string | null)[];
  readonly columns: readonly string[];

  constructor(columns: readonly string[], names: readonly Name[]) {
    this.columns = columns;
    const present = names.filter((name) => columns.includes(name));
    this.#reader = new CsvFieldReader(present.map((name) => columns.indexOf(name)));
    this.#found = new Array(present.length);
    this.#slots = names.map((name) => present.indexOf(name));
    this.#at = Object.fromEntries(names.map((name, i) => [name, i])) as Record<Name, number>;
  }

  /** Reads `line`; the fields are then read with {@link get}. */
  read(line: string): this {
    this.#reader.read(line, this.#found);
    return this;
  }

  /** A field of the record read last. */
  get(name: Name): string | null {
    const slot = this.#slots[this.#at[name]] ?? -1;
    return slot < 0 ? null : (this.#found[slot] ?? null);
  }

  /** Every value of `line`, in `columns`' order (for the rare record the loader changes). */
  all(line: string): (string | null)[] {
    return csvValues(line, this.columns.length);
  }
}
