/**
 * @module
 * What `query` does (its options and help are in `cli/commands/query.ts`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Command } from 'commander';
import { readMemoryBounds } from '../../core/memory-bounds.ts';
import type { QueryEngine, QueryResult, ValueKind } from '../../core/ports/query-engine.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../../lake/duckdb-query-engine.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { assertDataDirUsable, DEFAULT_DATA_DIR } from '../../local/runtime-config.ts';
import type { QueryFormat, QueryOptions } from '../commands/query.ts';
import { globalOptions } from '../global-options.ts';
import { singleStatement } from '../sql-statement.ts';

/** A query given twice or not at all. */
export class QueryUsageError extends Error {
  override readonly name = 'QueryUsageError';
}

/** Runs the statement on the lake and prints the result. */
export async function runQueryCommand(
  sql: string | undefined,
  options: QueryOptions,
  command: Command,
): Promise<void> {
  if ((sql === undefined) === (options.file === undefined)) {
    throw new QueryUsageError('Give the SQL either as an argument or with --file, not both or neither.');
  }
  const statement = singleStatement(sql ?? (await readFile(options.file ?? '', 'utf8')));
  const global = globalOptions(command);
  const dataDir = resolve(global.dataDir ?? DEFAULT_DATA_DIR);
  if (!options.athenaWorkgroup) await assertDataDirUsable(dataDir, true);
  const engine: QueryEngine = options.athenaWorkgroup
    ? new AthenaQueryEngine({ client: new AthenaClient({}), workGroup: options.athenaWorkgroup })
    : await DuckDbQueryEngine.open({
        lakeDir: pipelinePaths(dataDir).lake,
        bucket: LOCAL_LAKE_BUCKET,
        memory: duckDbMemory(readMemoryBounds(process.env), pipelinePaths(dataDir).duckdbTemp),
      });
  try {
    const result = await engine.query(statement);
    const format: QueryFormat = options.format ?? (global.json ? 'json' : 'table');
    process.stdout.write(`${formatResult(result, format)}\n`);
  } finally {
    await engine.close();
  }
}

/** Renders a result (values are already lossless text). */
export function formatResult(result: QueryResult, format: QueryFormat): string {
  if (format === 'json') {
    return JSON.stringify(
      result.rows.map((row) =>
        Object.fromEntries(result.columns.map((c, i) => [c, jsonValue(row[i] ?? null, result.kinds?.[i])])),
      ),
      null,
      2,
    );
  }
  if (format === 'csv') {
    const field = (v: string | null) =>
      v === null ? '' : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    return [result.columns.map(field), ...result.rows.map((row) => row.map(field))]
      .map((r) => r.join(','))
      .join('\n');
  }
  const cells = [result.columns, ...result.rows.map((row) => row.map((v) => v ?? 'NULL'))];
  const widths = result.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ');
  return [
    line(result.columns),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.slice(1).map(line),
    `(${result.rows.length} rows)`,
  ].join('\n');
}

/**
 * A value as `--format json` prints it: a JSON number where the number is exact in JSON (whole numbers within
 * ±2^53, binary floats), `true`/`false` for booleans; decimals stay strings, since a JSON reader would round
 * `0.10` or a large amount through a float (README, Commands). Everything else is its text.
 */
export function jsonValue(
  text: string | null,
  kind: ValueKind | undefined,
): string | number | boolean | null {
  if (text === null) return null;
  if (kind === 'boolean') return text === 'true';
  if (kind === 'integer') {
    const number = Number(text);
    return Number.isSafeInteger(number) ? number : text;
  }
  if (kind === 'float') {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  }
  return text;
}
