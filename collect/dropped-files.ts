/**
 * @module
 * The `files` collector (README, "Market data"): JSON files dropped under a prefix (a bucket prefix on AWS, a
 * directory locally, through the ObjectStore port), one folder per market lake table
 * (`<prefix><table>/<name>.json`), each a JSON array of that table's rows without `source` and `fetched_at`
 * (the collector adds `files` and the fetch time). Every row of a file is read with the table's column types
 * and required columns, as the transformation will read it; a file with one row that does not fit is refused
 * whole, with the reason, and none of its rows is used.
 */
import type { ObjectStore } from '../core/ports/object-store.ts';
import {
  MARKET_LAKE_TABLE_NAMES,
  MARKET_LAKE_TABLES,
  type MarketLakeTableName,
} from '../core/schema/market-lake-tables.ts';
import { formatJsonValue, LakeValueError, parseJsonRow } from '../lake/lake-value.ts';
import { fetchedAtText, type ObservationRow } from './collector.ts';

/** The `source` of rows from dropped files. */
export const FILES_SOURCE = 'files';

/** A file whose rows all fit. */
export interface AcceptedFile {
  readonly key: string;
  readonly table: MarketLakeTableName;
  readonly rows: readonly ObservationRow[];
}

/** A file refused whole, with why (names the row and column, never a value). */
export interface RefusedFile {
  readonly key: string;
  readonly table: MarketLakeTableName;
  readonly reason: string;
  readonly body: Uint8Array;
}

/** Reads every `.json` file under `prefix`; `fetchedAt` (epoch ms) stamps the rows. */
export async function readDroppedFiles(
  store: ObjectStore,
  prefix: string,
  fetchedAt: number,
): Promise<{ accepted: AcceptedFile[]; refused: RefusedFile[] }> {
  const accepted: AcceptedFile[] = [];
  const refused: RefusedFile[] = [];
  for (const table of MARKET_LAKE_TABLE_NAMES) {
    for (const object of await store.list(`${prefix}${table}/`)) {
      if (!object.key.endsWith('.json')) continue;
      const body = await store.get(object.key);
      if (body === undefined) continue; // gone since the listing: taken by another run
      const read = readFile(table, body, fetchedAtText(fetchedAt));
      if (typeof read === 'string') refused.push({ key: object.key, table, reason: read, body });
      else accepted.push({ key: object.key, table, rows: read });
    }
  }
  return { accepted, refused };
}

/** The rows of one file, or the reason it does not fit. */
function readFile(
  table: MarketLakeTableName,
  body: Uint8Array,
  fetchedAt: string,
): ObservationRow[] | string {
  const definition = MARKET_LAKE_TABLES[table];
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return `the file is not UTF-8 JSON; a ${table} file is a JSON array of rows.`;
  }
  if (!Array.isArray(parsed)) return `the file is not a JSON array; a ${table} file is a JSON array of rows.`;
  const rows: ObservationRow[] = [];
  for (const [index, item] of parsed.entries()) {
    const where = `row ${index + 1} of ${parsed.length}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return `${where} is not a JSON object.`;
    let row: ReturnType<typeof parseJsonRow>;
    try {
      row = parseJsonRow(definition.columns, { ...item, source: FILES_SOURCE, fetched_at: fetchedAt });
    } catch (error) {
      if (error instanceof LakeValueError) return `${where}: ${error.message}`;
      throw error;
    }
    const missing = definition.columns.find(
      (c) => row[c.name] === null && !definition.nullableColumns.includes(c.name),
    );
    if (missing) return `${where} has no ${missing.name}; every ${table} row needs one.`;
    rows.push(
      Object.fromEntries(
        definition.columns.map((c) => {
          const value = formatJsonValue(c, row[c.name] ?? null);
          return [c.name, value === null ? null : String(value)];
        }),
      ),
    );
  }
  return rows;
}
