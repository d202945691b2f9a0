/**
 * @module
 * QueryEngine: runs the SQL in `queries/` over the lake (Athena on AWS, DuckDB offline).
 */

/** A query parameter; bound positionally to `?` placeholders. */
export type QueryParameter = string | number | boolean | null;

/**
 * What a column's text values are, for callers that render them typed (`query --format json`): whole numbers,
 * exact decimals, binary floating point, booleans, or anything else (text, dates, timestamps).
 */
export type ValueKind = 'integer' | 'decimal' | 'float' | 'boolean' | 'text';

/** A result: column names and rows of lossless text values (`null` for SQL NULL). */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** Each column's {@link ValueKind}, when the engine reports types. */
  readonly kinds?: readonly ValueKind[];
}

/**
 * A SQL engine over the lake tables.
 *
 * Contract:
 * - **Dialect.** Statements are written in the subset Trino (Athena engine 3) and DuckDB share.
 * - **Lossless values.** Decimals come back as their exact decimal text, timestamps with their milliseconds,
 *   dates as `YYYY-MM-DD`, booleans as `true`/`false`, NULL as `null`: never through a float or a `Date`.
 * - **Snapshot.** One call reads the files present when it started; files landing during it may or may not
 *   be seen, never half of one.
 * - **Errors.** A failed query rejects with the engine's own reason.
 */
export interface QueryEngine {
  query(sql: string, parameters?: readonly QueryParameter[]): Promise<QueryResult>;
  close(): Promise<void>;
}
