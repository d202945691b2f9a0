/**
 * @module
 * A window query's rows as CSV records (core/csv-record.ts), the form the loader carries them in from the query
 * engine to the warehouse's staging COPY: from the engine's `queryLines` when it has one (both engines do), else
 * rendered here from `queryBatches`' rows (a wrapper or a test double without it). The loader reads back from a
 * record only the few fields it acts on ({@link lineFields}).
 */
import { CsvFieldReader, csvRecord } from '../core/csv-record.ts';
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
 * A reader of the named fields of records with `columns` (core/csv-record.ts `CsvFieldReader`): `read(line)`
 * gives them in `names`' order, a name the shape lacks as null.
 */
export function lineFields(columns: readonly string[], names: readonly string[]): CsvFieldReader {
  return new CsvFieldReader(names.map((name) => columns.indexOf(name)));
}
