/**
 * @module
 * `import --dump FILE`: loads a totesys pg_dump in COPY format into the real source schema, in foreign-key
 * order, with COPY, in one transaction, then moves the sequences past the loaded ids.
 *
 * Missing keys (a row referencing an id its parent table does not have), decided here:
 * - a nullable reference (transaction.sales_order_id / purchase_order_id) is set to NULL, which is what the
 *   live database itself does when the order is deleted (ON DELETE SET NULL);
 * - a row with a missing NOT NULL reference is skipped, and so are rows that reference a skipped row.
 * Both are counted and reported with a few of the ids, never silently. No placeholder parents are invented:
 * they would flow through CDC into the warehouse as if they were real business data.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  isSourceTableName,
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceColumn,
  type SourceTableName,
} from '../../core/schema/source-tables.ts';
import { decodeCopyLine, encodeCopyRow } from '../copy-text.ts';
import { assertSourceEmpty, SourceNotEmptyError } from '../empty-source.ts';
import { syncSequences } from '../table-sequences.ts';
import { type DumpBlock, DumpFormatError, findDumpBlocks } from './dump-blocks.ts';
import { readLines } from './dump-lines.ts';
import { convertDumpValue, DumpValueError } from './dump-values.ts';

/** Rows that referenced a missing parent. */
export interface MissingKeyReport {
  readonly table: SourceTableName;
  readonly column: string;
  readonly parent: SourceTableName;
  /** `skipped`: the row was not loaded; `nulled`: the nullable reference was set to NULL. */
  readonly action: 'skipped' | 'nulled';
  readonly count: number;
  /** Up to five of the missing parent ids. */
  readonly sampleIds: readonly number[];
}

/** What an import loaded. */
export interface ImportResult {
  readonly rows: Record<SourceTableName, number>;
  readonly missingKeys: readonly MissingKeyReport[];
  /** Things ignored on purpose: unknown tables and columns, duplicate blocks. */
  readonly warnings: readonly string[];
  readonly elapsedMs: number;
}

/** Progress after every chunk. */
export interface ImportProgress {
  readonly table: SourceTableName;
  readonly rows: number;
  readonly elapsedMs: number;
}

export { DumpFormatError, DumpValueError, SourceNotEmptyError };

/** Imports the dump at `path` into an empty, migrated source. */
export async function importDump(
  client: pg.ClientBase,
  path: string,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const blocks = new Map<SourceTableName, DumpBlock>();
  for (const block of await findDumpBlocks(path)) {
    if (block.schema !== 'public' || !isSourceTableName(block.table)) {
      warnings.push(
        `Ignored the COPY block of ${block.schema}.${block.table} (line ${block.line}): not a totesys table.`,
      );
    } else if (blocks.has(block.table)) {
      throw new DumpFormatError(
        `The dump has two COPY blocks for ${block.table} (the second at line ${block.line}).`,
      );
    } else {
      blocks.set(block.table, block);
    }
  }
  if (blocks.size === 0)
    throw new DumpFormatError(
      `${path} has no COPY data for any totesys table, so it is not a plain-format pg_dump of the totesys ` +
        'database (or it was dumped with --inserts, which this importer does not read). Dump it with ' +
        '`pg_dump --format=plain --data-only` and import that file.',
    );
  for (const table of SOURCE_TABLE_NAMES) {
    if (!blocks.has(table)) warnings.push(`The dump has no data for ${table}; it stays empty.`);
  }

  const rows = Object.fromEntries(SOURCE_TABLE_NAMES.map((name) => [name, 0])) as Record<
    SourceTableName,
    number
  >;
  const ids = new Map<SourceTableName, Set<number>>();
  const missing = new Map<
    string,
    { report: Omit<MissingKeyReport, 'count' | 'sampleIds'>; ids: number[]; count: number }
  >();
  let total = 0;

  await client.query('BEGIN');
  try {
    await assertSourceEmpty(client, 'import');
    // Referenced tables first: SOURCE_TABLE_NAMES is in foreign-key order.
    for (const table of SOURCE_TABLE_NAMES) {
      const block = blocks.get(table);
      const loaded = new Set<number>();
      ids.set(table, loaded);
      if (!block) continue;
      const plan = columnPlan(block, warnings);
      const keyIndex = plan.findIndex((entry) => entry.column.name === SOURCE_TABLES[table].primaryKey);
      const targetColumns = plan.map((entry) => client.escapeIdentifier(entry.column.name)).join(', ');
      const chunks = async function* () {
        let text = '';
        let count = 0;
        let number = block.line;
        for await (const line of readLines(path, block.dataStart, block.dataEnd)) {
          number = block.line + line.number;
          const fields = decodeCopyLine(line.text);
          if (fields.length !== block.columns.length) {
            throw new DumpFormatError(
              `Line ${number} of the dump has ${fields.length} fields, but the COPY of ${table} lists ` +
                `${block.columns.length} columns.`,
            );
          }
          const values = plan.map((entry) =>
            convertDumpValue(fields[entry.field] ?? null, entry.column, { table, line: number }),
          );
          if (!checkReferences(table, plan, values, ids, missing)) continue;
          const id = Number(values[keyIndex]);
          if (loaded.has(id)) {
            throw new DumpFormatError(
              `${table} id ${id} appears twice in the dump (again at line ${number}).`,
            );
          }
          loaded.add(id);
          text += encodeCopyRow(values);
          count++;
          if (text.length >= 256 * 1024) {
            rows[table] += count;
            total += count;
            onProgress?.({ table, rows: total, elapsedMs: performance.now() - started });
            yield text;
            text = '';
            count = 0;
          }
        }
        rows[table] += count;
        total += count;
        onProgress?.({ table, rows: total, elapsedMs: performance.now() - started });
        if (text) yield text;
      };
      const copy = client.query(
        copyFrom(`COPY ${client.escapeIdentifier(table)} (${targetColumns}) FROM STDIN`),
      );
      await pipeline(Readable.from(chunks(), { objectMode: false }), copy);
    }
    await syncSequences(client, SOURCE_TABLE_NAMES);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  const missingKeys = [...missing.values()].map(({ report, ids: sample, count }) => ({
    ...report,
    count,
    sampleIds: sample,
  }));
  return { rows, missingKeys, warnings, elapsedMs: performance.now() - started };
}

interface PlannedColumn {
  readonly column: SourceColumn;
  /** Index of the column's field in the dump's COPY rows. */
  readonly field: number;
}

/** Maps the dump's columns to the live table's by name; unknown ones are dropped with a warning. */
function columnPlan(block: DumpBlock, warnings: string[]): PlannedColumn[] {
  const table = SOURCE_TABLES[block.table as SourceTableName];
  const plan: PlannedColumn[] = [];
  block.columns.forEach((name, field) => {
    const column = table.columns.find((candidate) => candidate.name === name);
    if (column) plan.push({ column, field });
    else
      warnings.push(
        `Ignored the column ${block.table}.${name} (line ${block.line}): the live table has no such column.`,
      );
  });
  // Only the key and created_at have defaults; every other NOT NULL column must come from the dump.
  const absent = table.columns.filter(
    (column) =>
      !column.nullable &&
      column.name !== 'created_at' &&
      !plan.some((entry) => entry.column.name === column.name),
  );
  if (absent.length > 0) {
    throw new DumpFormatError(
      `The COPY of ${block.table} at line ${block.line} lacks the required column(s) ` +
        `${absent.map((column) => column.name).join(', ')}.`,
    );
  }
  return plan;
}

/** True when the row can load; nulls missing nullable references and records what was missing. */
function checkReferences(
  table: SourceTableName,
  plan: readonly PlannedColumn[],
  values: (string | null)[],
  ids: ReadonlyMap<SourceTableName, ReadonlySet<number>>,
  missing: Map<
    string,
    { report: Omit<MissingKeyReport, 'count' | 'sampleIds'>; ids: number[]; count: number }
  >,
): boolean {
  let keep = true;
  plan.forEach(({ column }, index) => {
    const value = values[index];
    if (!column.references || value === null || value === undefined) return;
    const parent = column.references.table;
    const id = Number(value);
    if (ids.get(parent)?.has(id)) return;
    const action = column.nullable ? 'nulled' : 'skipped';
    const key = `${table}.${column.name}`;
    const entry = missing.get(key) ?? {
      report: { table, column: column.name, parent, action },
      ids: [],
      count: 0,
    };
    entry.count++;
    if (entry.ids.length < 5 && !entry.ids.includes(id)) entry.ids.push(id);
    missing.set(key, entry);
    if (column.nullable) values[index] = null;
    else keep = false;
  });
  return keep;
}
