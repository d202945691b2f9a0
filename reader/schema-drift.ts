/**
 * @module
 * Schema drift: the source's tables no longer match the source schema the pipeline is built on
 * (core/schema/source-tables.ts, from which the lake and warehouse schemas derive). Seen two ways: in the
 * replication stream, whose relation message describes a table's columns before its first change in a session
 * and again after every DDL; and in the source catalog, which the reader reads at each start. A column added
 * at the source would otherwise be ignored silently, a renamed one send every row to `errors/`.
 *
 * Each drifted table is one state document (`reader/schema-drift/<table>`) until a later look finds it matching
 * again; `status` lists them, the reader logs each once per kind of difference, and `SourceSchemaDriftTables`
 * (the number of drifted tables) is published for the `SchemaDrift` alarm. What a user does about each kind
 * is in the README ("Schema drift").
 */
import type pg from 'pg';
import { METRICS } from '../core/operations.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../core/ports/metrics.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceColumnType,
  type SourceTableName,
} from '../core/schema/source-tables.ts';

/** A column as the source shows it; `type` only where the catalog says it (relation messages carry OIDs). */
export interface ObservedColumn {
  readonly name: string;
  /** `format_type()` of the column, e.g. `character varying(3)`. */
  readonly type?: string;
}

/** How one table differs from the pipeline's schema. */
export interface SchemaDrift {
  readonly table: SourceTableName;
  /** Columns at the source the schema lacks (their values are not carried to the lake). */
  readonly added: readonly string[];
  /** Columns of the schema the source lacks (rows without them fail the transformation: `errors/`). */
  readonly dropped: readonly string[];
  /** Columns whose source type is not the schema's. */
  readonly retyped: readonly {
    readonly column: string;
    readonly expected: string;
    readonly actual: string;
  }[];
  /** One dropped and one added column: most likely a rename. */
  readonly renamed?: { readonly from: string; readonly to: string };
  /** `stream` (a relation message) or `catalog` (the reader's start). */
  readonly seenIn: 'stream' | 'catalog';
  /** When (ISO-8601 UTC). */
  readonly seenAt: string;
}

/** The folder of drift documents in the state store. */
export const SCHEMA_DRIFT_PREFIX = 'reader/schema-drift';

/** How `format_type()` prints each schema type. */
const CATALOG_TYPES: { readonly [T in SourceColumnType]: string } = {
  integer: 'integer',
  text: 'text',
  'varchar(3)': 'character varying(3)',
  'numeric(10,2)': 'numeric(10,2)',
  'timestamp(3)': 'timestamp(3) without time zone',
  boolean: 'boolean',
  '"PaymentTypeName"': '"PaymentTypeName"',
  '"TransactionType"': '"TransactionType"',
};

/** How `table`'s observed columns differ from the schema, or undefined when they match. */
export function compareWithSchema(
  table: SourceTableName,
  columns: readonly ObservedColumn[],
  seenIn: SchemaDrift['seenIn'],
  now: Date = new Date(),
): SchemaDrift | undefined {
  const expected = SOURCE_TABLES[table].columns;
  const observed = new Map(columns.map((column) => [column.name, column]));
  const known = new Set(expected.map((column) => column.name));
  const added = columns.map((column) => column.name).filter((name) => !known.has(name));
  const dropped = expected.map((column) => column.name).filter((name) => !observed.has(name));
  const retyped = expected.flatMap((column) => {
    const actual = observed.get(column.name)?.type;
    const wanted = CATALOG_TYPES[column.type];
    return actual !== undefined && actual !== wanted
      ? [{ column: column.name, expected: wanted, actual }]
      : [];
  });
  if (added.length === 0 && dropped.length === 0 && retyped.length === 0) return undefined;
  const renamed =
    added.length === 1 && dropped.length === 1 ? { from: dropped[0]!, to: added[0]! } : undefined;
  return {
    table,
    added,
    dropped,
    retyped,
    ...(renamed ? { renamed } : {}),
    seenIn,
    seenAt: now.toISOString(),
  };
}

/** Every source table's columns and types from the catalog (tables that do not exist are left out). */
export async function catalogColumns(client: pg.ClientBase): Promise<Map<SourceTableName, ObservedColumn[]>> {
  const result = await client.query<{ table_name: SourceTableName; name: string; type: string }>(
    `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [SOURCE_TABLE_NAMES],
  );
  const tables = new Map<SourceTableName, ObservedColumn[]>();
  for (const row of result.rows) {
    const list = tables.get(row.table_name) ?? [];
    list.push({ name: row.name, type: row.type });
    tables.set(row.table_name, list);
  }
  return tables;
}

/** Records what was observed: see the module comment. */
export class SchemaDriftRecords {
  readonly #state: StateStore;
  readonly #log: Log;
  readonly #metrics: MetricsPublisher;
  /** The last drift told per table, so a relation message repeated each session is not told again. */
  readonly #told = new Map<SourceTableName, string>();
  /** Tables found drifted by this process (the catalog check at start sees all of them). */
  readonly #drifted = new Set<SourceTableName>();

  constructor(options: {
    readonly stateStore: StateStore;
    readonly log?: Log;
    readonly metrics?: MetricsPublisher;
  }) {
    this.#state = options.stateStore;
    this.#log = (options.log ?? SILENT_LOG).with({ stage: 'reader' });
    this.#metrics = options.metrics ?? UNPUBLISHED_METRICS;
  }

  /** Compares one table's columns with the schema and records the outcome. */
  async observe(
    table: SourceTableName,
    columns: readonly ObservedColumn[],
    seenIn: SchemaDrift['seenIn'],
  ): Promise<void> {
    await this.#record(table, columns, seenIn);
    this.#publish();
  }

  /** Compares every table in the source catalog. */
  async observeCatalog(client: pg.ClientBase): Promise<void> {
    for (const [table, columns] of await catalogColumns(client))
      await this.#record(table, columns, 'catalog');
    this.#publish();
  }

  #publish(): void {
    this.#metrics.publish([
      { name: METRICS.schemaDrift.tablesDrifted, unit: 'Count', value: this.#drifted.size },
    ]);
  }

  async #record(
    table: SourceTableName,
    columns: readonly ObservedColumn[],
    seenIn: SchemaDrift['seenIn'],
  ): Promise<void> {
    const drift = compareWithSchema(table, columns, seenIn);
    const key = stateKey<SchemaDrift>(`${SCHEMA_DRIFT_PREFIX}/${table}`);
    if (drift === undefined) {
      // A relation message carries no types: it cannot clear a type change the catalog found.
      const recorded = await this.#state.get(key);
      if (recorded && (seenIn === 'catalog' || recorded.retyped.length === 0)) {
        this.#drifted.delete(table);
        await this.#state.delete(key);
        this.#told.delete(table);
        this.#log.info('the source table matches the schema again', { table });
      }
    } else {
      this.#drifted.add(table);
      await this.#state.put(key, drift);
      const signature = JSON.stringify([drift.added, drift.dropped, drift.retyped]);
      if (this.#told.get(table) !== signature) {
        this.#told.set(table, signature);
        this.#log.warn(`the source table no longer matches the pipeline's schema: ${describeDrift(drift)}`, {
          table,
        });
      }
    }
  }
}

/** Every drifted table's record. */
export async function driftedTables(stateStore: StateStore): Promise<SchemaDrift[]> {
  const drifts: SchemaDrift[] = [];
  for (const name of await stateStore.list(SCHEMA_DRIFT_PREFIX)) {
    const drift = await stateStore.get(stateKey<SchemaDrift>(name));
    if (drift) drifts.push(drift);
  }
  return drifts;
}

/** One line: what differs, in words. */
export function describeDrift(drift: SchemaDrift): string {
  const parts: string[] = [];
  if (drift.renamed) parts.push(`column ${drift.renamed.from} renamed to ${drift.renamed.to}?`);
  else {
    if (drift.added.length > 0) parts.push(`added ${drift.added.join(', ')}`);
    if (drift.dropped.length > 0) parts.push(`dropped ${drift.dropped.join(', ')}`);
  }
  for (const change of drift.retyped)
    parts.push(`${change.column} is ${change.actual}, not ${change.expected}`);
  return `${parts.join('; ')} (see the README, Schema drift)`;
}
