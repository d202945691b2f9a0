/**
 * @module
 * The source changes between reconcile's snapshot and the warehouse's cut, folded into each touched row's final
 * state. Messages arrive in commit order (as logical decoding emits them); a transaction is replayed when its
 * commit LSN is at or below the cut, which is exactly the set of transactions the cut holds (README "What it
 * guarantees": the warehouse is the source as of its cut).
 */
import type { SourceValue } from '../../core/change-event.ts';
import type { Lsn } from '../../core/lsn.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';
import type { DecodedTuple, ReplicationMessage } from '../../reader/replication-source.ts';

/** The final state of one touched row: gone, or the columns to set over the row at `baseKey` (if any). */
export interface RowChange {
  /** The row before the replay this state builds on (null: none, every column comes from `patch`). */
  readonly baseKey: string | null;
  /** Column values to set; a column absent here keeps the base row's value (unchanged TOAST). Null: deleted. */
  readonly patch: Readonly<Record<string, SourceValue>> | null;
}

/** What the replay does to one table: whether it was emptied first, then each touched key's final state. */
export interface TableChanges {
  readonly truncated: boolean;
  readonly rows: ReadonlyMap<string, RowChange>;
}

/** A change in a transaction that began after the cut: reading further is pointless. */
type Accepted = 'more' | 'past-cut';

/** Folds decoded messages into final row states per table. */
export class ReplayedChanges {
  readonly #cut: Lsn;
  readonly #tables = new Map<SourceTableName, { truncated: boolean; rows: Map<string, RowChange> }>();
  #changes = 0;
  #inTransaction = false;

  constructor(cut: Lsn) {
    this.#cut = cut;
  }

  /** Row changes replayed so far (inserts, updates, deletes; a truncate counts once per table). */
  get changeCount(): number {
    return this.#changes;
  }

  /** The tables the replay touched. */
  get tables(): ReadonlyMap<SourceTableName, TableChanges> {
    return this.#tables;
  }

  /** Takes one message; `past-cut` once a transaction committed after the cut begins. */
  accept(message: ReplicationMessage): Accepted {
    switch (message.kind) {
      case 'begin':
        if (message.commitLsn > this.#cut) return 'past-cut';
        this.#inTransaction = true;
        return 'more';
      case 'commit':
        this.#inTransaction = false;
        return 'more';
      case 'message':
      case 'relation':
        return 'more';
      case 'truncate':
        for (const { table } of message.tables) {
          const known = knownTable(table);
          if (!known) continue;
          this.#tables.set(known, { truncated: true, rows: new Map() });
          this.#changes += 1;
        }
        return 'more';
      default:
        this.#rowChange(message);
        return 'more';
    }
  }

  #rowChange(message: ReplicationMessage & { kind: 'insert' | 'update' | 'delete' }): void {
    const table = knownTable(message.table);
    if (!table || !this.#inTransaction) return;
    const state = this.#tables.get(table) ?? { truncated: false, rows: new Map<string, RowChange>() };
    this.#tables.set(table, state);
    const keyColumn = SOURCE_TABLES[table].primaryKey;
    const keyOf = (tuple: DecodedTuple | null) => String(tuple?.[keyColumn]);
    this.#changes += 1;
    if (message.kind === 'insert') {
      state.rows.set(keyOf(message.row), { baseKey: null, patch: definedColumns(message.row) });
      return;
    }
    if (message.kind === 'delete') {
      state.rows.set(keyOf(message.oldKey), { baseKey: null, patch: null });
      return;
    }
    const key = keyOf(message.row);
    // The old key comes only when the update changed the key; the row then moves.
    const from = message.oldKey ? keyOf(message.oldKey) : key;
    const before: RowChange = state.rows.get(from) ?? {
      baseKey: state.truncated ? null : from,
      patch: {},
    };
    if (from !== key) state.rows.set(from, { baseKey: null, patch: null });
    state.rows.set(key, {
      baseKey: before.patch === null ? null : before.baseKey,
      patch: { ...(before.patch ?? {}), ...definedColumns(message.row) },
    });
  }
}

/** The tuple without the unchanged-TOAST columns PostgreSQL did not send (`undefined`). */
function definedColumns(tuple: DecodedTuple | null): Record<string, SourceValue> {
  const out: Record<string, SourceValue> = {};
  for (const [column, value] of Object.entries(tuple ?? {})) {
    if (value !== undefined) out[column] = value;
  }
  return out;
}

function knownTable(name: string): SourceTableName | undefined {
  return (SOURCE_TABLE_NAMES as readonly string[]).includes(name) ? (name as SourceTableName) : undefined;
}
