/**
 * @module
 * Every source table's state (reader/table-state.ts), persisted in the StateStore as one document that only
 * the reader writes (`status` reads it from another process). Each move is validated, stamped with the
 * injected clock's time and written before the reader goes on, so a crash finds the table where it was.
 *
 * The document keeps the key of the snapshot progress it replaces (`reader/snapshot`); a document in the old
 * shape (`tables: { <table>: { lsn, rows } }`, no `version`) is migrated when read: its tables are copied at
 * their LSN, the others pending. It is rewritten in the new shape with the first move.
 */
import { z } from 'zod';
import type { Clock } from '../core/ports/clock.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import {
  lastCopy,
  moveTable,
  pendingRecord,
  type TableCopy,
  type TableRecord,
  type TableState,
} from './table-state.ts';

/** The persisted document: which slot the copies belong to, the slot's consistent point and every table. */
export interface TableStatesDocument {
  readonly version: 2;
  readonly slot: string;
  /** The slot's consistent point (decimal LSN); '0' before the slot exists. */
  readonly consistentPoint: string;
  readonly tables: Partial<Record<SourceTableName, TableRecord>>;
}

/** The snapshot progress document written before table states existed. */
interface LegacySnapshotDocument {
  readonly slot: string;
  readonly consistentPoint: string;
  readonly tables: Partial<Record<SourceTableName, TableCopy>>;
}

/** StateStore key of the table states (the key the snapshot progress had, so an upgrade finds it). */
export const TABLE_STATES_KEY = stateKey<TableStatesDocument | LegacySnapshotDocument>('reader/snapshot');

const lsnText = z.string().regex(/^\d+$/);
const copySchema = z.object({ lsn: lsnText, rows: z.number().int().nonnegative() });
const stateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pending') }),
  z.object({ kind: z.literal('copying'), point: lsnText }),
  z.object({ kind: z.literal('copied'), lsn: lsnText, rows: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('re-reading'), point: lsnText, last: copySchema }),
  z.object({
    kind: z.literal('errored'),
    reason: z.string(),
    remedy: z.string(),
    last: copySchema.optional(),
  }),
]);
const entrySchema = z.object({ state: stateSchema, since: z.string().nullable() });
const tableNames = z.enum(SOURCE_TABLE_NAMES);
const documentSchema = z.union([
  z.object({
    version: z.literal(2),
    slot: z.string(),
    consistentPoint: lsnText,
    tables: z.partialRecord(tableNames, entrySchema.extend({ history: z.array(entrySchema) })),
  }),
  z.object({ slot: z.string(), consistentPoint: lsnText, tables: z.partialRecord(tableNames, copySchema) }),
]);

/** The state document cannot be read: it names what is wrong and how to start over. */
export class TableStatesDocumentError extends Error {
  override readonly name = 'TableStatesDocumentError';
}

/** Reads the document (any shape it was ever written in) as table states of the current shape. */
export function parseTableStates(value: unknown): TableStatesDocument {
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) {
    throw new TableStatesDocumentError(
      `The reader's table states (state key ${TABLE_STATES_KEY.name}) are not in a shape it knows: ${z.prettifyError(parsed.error)}. Delete the document to copy every table again (duplicates are harmless downstream).`,
      { cause: parsed.error },
    );
  }
  const document = parsed.data;
  if ('version' in document) return document as TableStatesDocument;
  const tables: Partial<Record<SourceTableName, TableRecord>> = {};
  for (const table of SOURCE_TABLE_NAMES) {
    const copy = document.tables[table];
    if (copy) tables[table] = { state: { kind: 'copied', ...copy }, since: null, history: [] };
  }
  return { version: 2, slot: document.slot, consistentPoint: document.consistentPoint, tables };
}

/** The reader's view of every table's state; see the module comment. */
export class TableStates {
  readonly #store: StateStore;
  readonly #clock: Clock;
  #document: TableStatesDocument;
  #writing: Promise<void> = Promise.resolve();

  private constructor(store: StateStore, clock: Clock, document: TableStatesDocument) {
    this.#store = store;
    this.#clock = clock;
    this.#document = document;
  }

  /**
   * Reads the table states of `slot`. States of another slot count as none (every table pending). A table a
   * stopped run left mid-copy is back where the copy started: pending, or at its last copy for a re-read.
   */
  static async open(store: StateStore, slot: string, clock: Clock): Promise<TableStates> {
    const stored = await store.get(TABLE_STATES_KEY);
    const document = stored === undefined ? undefined : parseTableStates(stored);
    const states = new TableStates(
      store,
      clock,
      document?.slot === slot ? document : { version: 2, slot, consistentPoint: '0', tables: {} },
    );
    for (const table of SOURCE_TABLE_NAMES) {
      const { state } = states.record(table);
      if (state.kind === 'copying') await states.move(table, { kind: 'pending' });
      if (state.kind === 're-reading') await states.move(table, { kind: 'copied', ...state.last });
    }
    return states;
  }

  get slot(): string {
    return this.#document.slot;
  }

  /** The slot's consistent point (decimal LSN). */
  get consistentPoint(): string {
    return this.#document.consistentPoint;
  }

  record(table: SourceTableName): TableRecord {
    return this.#document.tables[table] ?? pendingRecord();
  }

  state(table: SourceTableName): TableState {
    return this.record(table).state;
  }

  /** Tables never copied to the end (pending, copying, or errored before a first copy), in table order. */
  uncopied(): SourceTableName[] {
    return SOURCE_TABLE_NAMES.filter((table) => lastCopy(this.state(table)) === undefined);
  }

  /** Moves a table to `next` (throws on a move the machine forbids) and persists it before resolving. */
  move(table: SourceTableName, next: TableState): Promise<void> {
    const record = moveTable(table, this.record(table), next, new Date(this.#clock.now()));
    return this.#write({ ...this.#document, tables: { ...this.#document.tables, [table]: record } });
  }

  /** A new slot was created at `consistentPoint`: every table's copy so far belonged to the old one. */
  async startSlot(consistentPoint: string): Promise<void> {
    for (const table of SOURCE_TABLE_NAMES) {
      if (this.state(table).kind !== 'pending') await this.move(table, { kind: 'pending' });
    }
    await this.#write({ ...this.#document, consistentPoint });
  }

  #write(document: TableStatesDocument): Promise<void> {
    this.#document = document;
    // Writes go out in the order the moves were made, so the store never ends on an older document.
    const writing = this.#writing.then(() => this.#store.put(TABLE_STATES_KEY, document));
    this.#writing = writing.catch(() => undefined);
    return writing;
  }
}
