/**
 * @module
 * Every row of a seeded source, one table at a time, as COPY text lines in the live column order.
 */

import { SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';
import { encodeCopyRow } from '../copy-text.ts';
import { generateOrderRows } from './order-generator.ts';
import {
  CURRENCY_ROWS,
  DEPARTMENT_ROWS,
  generateReferenceTables,
  PAYMENT_TYPE_ROWS,
  type SeedRow,
} from './reference-data.ts';
import { SeededRandom } from './seeded-random.ts';

/** What to generate: `scale` 1 is about the Feb-2024 live sizes; the same `seed` gives the same rows. */
export interface SeedSpec {
  readonly scale: number;
  readonly seed: number;
}

/** The rows of one table, in id order. */
export function* seedRows(table: SourceTableName, spec: SeedSpec): Generator<SeedRow> {
  switch (table) {
    case 'currency':
      yield* CURRENCY_ROWS;
      return;
    case 'payment_type':
      yield* PAYMENT_TYPE_ROWS;
      return;
    case 'department':
      yield* DEPARTMENT_ROWS;
      return;
    case 'address':
    case 'staff':
    case 'counterparty':
      yield* generateReferenceTables(new SeededRandom(spec.seed))[table];
      return;
    default:
      yield* generateOrderRows(table, spec.scale, spec.seed);
  }
}

/** The rows of one table as COPY text, batched into chunks of about `chunkChars` characters. */
export function* seedCopyChunks(
  table: SourceTableName,
  spec: SeedSpec,
  chunkChars = 256 * 1024,
): Generator<{ text: string; rows: number }> {
  const columns = SOURCE_TABLES[table].columns.map((column) => column.name);
  let text = '';
  let rows = 0;
  for (const row of seedRows(table, spec)) {
    text += encodeCopyRow(columns.map((column) => row[column] ?? null));
    rows++;
    if (text.length >= chunkChars) {
      yield { text, rows };
      text = '';
      rows = 0;
    }
  }
  if (rows > 0) yield { text, rows };
}
