/**
 * @module
 * Star rows as reconcile compares them: every column cast to text by PostgreSQL (the same casts and session
 * settings on the source and the warehouse side), keyed by the table's key. Comparing text keeps decimals,
 * dates and times exact without parsing anything in JavaScript.
 */
import type pg from 'pg';

/** One table's rows: key to column to text (null stays null). */
export type StarRows = Map<string, Record<string, string | null>>;

/** Runs `sql` with `columns` (and `key` among them) cast to text, keyed by `key`. */
export async function textRows(
  client: pg.ClientBase,
  sql: string,
  columns: readonly string[],
  key: string,
): Promise<StarRows> {
  const result = await client.query<Record<string, string | null>>(
    `SELECT ${columns.map((c) => `${c}::text AS ${c}`).join(', ')} FROM (${sql}) AS t`,
  );
  const rows: StarRows = new Map();
  for (const row of result.rows) rows.set(String(row[key]), row);
  return rows;
}
