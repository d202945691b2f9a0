/**
 * @module
 * The loader's SQL, read from `queries/loader/*.sql`: one statement per file, written in the subset Athena
 * (Trino) and DuckDB share. Each file's `-- parameters:` line names its `?` placeholders in order, so callers
 * bind by name and a file can reuse a value (a cut) several times.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueryParameter } from '../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';

/**
 * The values a loader query may ask for: the first partition day, the previous and the new cut, the key range a
 * fact window is read in (loader/key-ranges.ts), per lake table the day range the watermark query reads, and per
 * lake table its state snapshot (its `snapshot_lsn` folder, its LSN, and the first day of the changes after it;
 * see core/ports/state-snapshots.ts).
 */
export const QUERY_PARAMETER_NAMES = [
  'dt_from',
  'prev_cut',
  'cut',
  'key_from',
  'key_to',
  ...LAKE_TABLE_NAMES.flatMap(
    (table) =>
      [
        `dt_from_${table}`,
        `dt_to_${table}`,
        `snapshot_${table}`,
        `snapshot_lsn_${table}`,
        `snapshot_from_${table}`,
      ] as const,
  ),
] as const;

/** The name of a loader query parameter. */
export type QueryParameterName =
  | 'dt_from'
  | 'prev_cut'
  | 'cut'
  | 'key_from'
  | 'key_to'
  | `dt_from_${LakeTableName}`
  | `dt_to_${LakeTableName}`
  | `snapshot_${LakeTableName}`
  | `snapshot_lsn_${LakeTableName}`
  | `snapshot_from_${LakeTableName}`;

/** A loader query: its SQL and the names of its `?` placeholders in order. */
export interface LoaderQuery {
  readonly name: string;
  readonly sql: string;
  readonly parameters: readonly QueryParameterName[];
}

/** A query file that is missing, unreadable or whose parameter line does not match its placeholders. */
export class LoaderQueryError extends Error {
  override readonly name = 'LoaderQueryError';
}

/** `queries/` of this checkout; a bundle may pass its own copy. */
export const DEFAULT_QUERIES_DIR = fileURLToPath(new URL('../queries/', import.meta.url));

const PARAMETER_LINE = /^--\s*parameters:\s*(.*)$/m;

/** Reads `queries/loader/<name>.sql` and checks its parameter line against its placeholders. */
export async function readLoaderQuery(name: string, queriesDir = DEFAULT_QUERIES_DIR): Promise<LoaderQuery> {
  const path = join(queriesDir, 'loader', `${name}.sql`);
  let sql: string;
  try {
    sql = await readFile(path, 'utf8');
  } catch (error) {
    throw new LoaderQueryError(
      `Cannot read the loader query ${path}: ${(error as Error).message}. Ship queries/ beside the loader.`,
      { cause: error },
    );
  }
  return parseLoaderQuery(name, sql);
}

/** Parses a query file's text (see {@link readLoaderQuery}). */
export function parseLoaderQuery(name: string, text: string): LoaderQuery {
  const line = PARAMETER_LINE.exec(text)?.[1]?.trim() ?? '';
  const parameters = line === '' ? [] : line.split(',').map((p) => p.trim());
  for (const parameter of parameters) {
    if (!(QUERY_PARAMETER_NAMES as readonly string[]).includes(parameter)) {
      throw new LoaderQueryError(
        `Loader query ${name} names an unknown parameter "${parameter}"; use ${QUERY_PARAMETER_NAMES.join(', ')}.`,
      );
    }
  }
  const sql = stripComments(text).trim().replace(/;$/, '');
  const placeholders = (sql.match(/\?/g) ?? []).length;
  if (placeholders !== parameters.length) {
    throw new LoaderQueryError(
      `Loader query ${name} has ${placeholders} ? placeholders but its parameters line names ` +
        `${parameters.length}; make them match.`,
    );
  }
  return { name, sql, parameters: parameters as QueryParameterName[] };
}

/** The positional values for a query, from named values. */
export function bindParameters(
  query: LoaderQuery,
  values: Readonly<Partial<Record<QueryParameterName, QueryParameter>>>,
): QueryParameter[] {
  return query.parameters.map((name) => {
    const value = values[name];
    if (value === undefined)
      throw new LoaderQueryError(
        `Loader query ${query.name} asks for ${name}, which this run does not bind.`,
      );
    return value;
  });
}

/** Drops `--` line comments (the files hold no `--` inside string literals). */
function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
}
