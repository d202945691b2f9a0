/**
 * @module
 * The statement `query` runs, as the user wrote it: one statement, with a trailing `;` and trailing comments
 * allowed (psql habits) and taken off, because both engines run it inside a larger statement (DuckDB wraps it
 * to read every value as text; Athena refuses a `;`), where they would break it.
 */

/** The SQL holds more than one statement, or none. */
export class QueryStatementError extends Error {
  override readonly name = 'QueryStatementError';
}

/**
 * The one statement of `sql` without trailing semicolons, comments and whitespace. Quotes (`'…'`, `"…"`) and
 * comments (`-- …`, `/* … *\/`) are skipped so a `;` inside them counts for nothing.
 * @throws QueryStatementError for no statement, or for a second one after a `;`.
 */
export function singleStatement(sql: string): string {
  let end = 0;
  let statementEnded = false;
  let at = 0;
  while (at < sql.length) {
    const char = sql[at]!;
    if (char === '-' && sql[at + 1] === '-') {
      const newline = sql.indexOf('\n', at);
      at = newline === -1 ? sql.length : newline + 1;
      continue;
    }
    if (char === '/' && sql[at + 1] === '*') {
      const close = sql.indexOf('*/', at + 2);
      at = close === -1 ? sql.length : close + 2;
      continue;
    }
    if (char === ';') {
      statementEnded = true;
      at++;
      continue;
    }
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    if (statementEnded)
      throw new QueryStatementError(
        'query runs one statement; this SQL has another after a `;`. Run them one at a time.',
      );
    if (char === "'" || char === '"') {
      // A doubled quote inside is an escaped one: the scan simply reopens at it.
      const close = sql.indexOf(char, at + 1);
      at = close === -1 ? sql.length : close + 1;
    } else at++;
    end = at;
  }
  if (end === 0) throw new QueryStatementError('The SQL is empty (only comments, spaces or `;`).');
  return sql.slice(0, end);
}
