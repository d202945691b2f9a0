/**
 * @module
 * The state of one source table in the reader, as an explicit machine with its history:
 *
 * ```
 * pending    → copying
 * copying    → copied | errored | pending (stopped with the reader, or its snapshot was lost)
 * copied     → re-reading | pending (slot lost)
 * re-reading → copied (at its point, or back at the last copy when stopped) | errored
 * errored    → copying (never copied) | re-reading (copied before) | pending (slot lost)
 * ```
 *
 * `copying` is a table's first copy (under the slot's exported snapshot, or under a fresh point when a run
 * resumes the snapshot); `re-reading` is a copy of a table copied before, while streaming goes on
 * (`resnapshot`). A table is `errored` when a copy failed: it says why and what to do, and the reader tries
 * again. When the slot is lost every table is pending again (the copies belong to the old slot). A move the
 * machine does not allow is a bug in the reader and throws {@link IllegalTableTransitionError}.
 */

/** A finished copy: every row was accepted, read at `lsn` (decimal). */
export interface TableCopy {
  readonly lsn: string;
  readonly rows: number;
}

/**
 * What the reader is doing with a table, or has done. `point` is the exact LSN (decimal) a copy reads at;
 * `last` is the table's previous finished copy, kept while it is re-read or after a re-read failed.
 */
export type TableState =
  | { readonly kind: 'pending' }
  | { readonly kind: 'copying'; readonly point: string }
  | ({ readonly kind: 'copied' } & TableCopy)
  | { readonly kind: 're-reading'; readonly point: string; readonly last: TableCopy }
  | { readonly kind: 'errored'; readonly reason: string; readonly remedy: string; readonly last?: TableCopy };

/** The names of the states. */
export type TableStateKind = TableState['kind'];

/** A state and when the table entered it (UTC ISO-8601 with milliseconds; null for one migrated without a time). */
export interface TableStateEntry {
  readonly state: TableState;
  readonly since: string | null;
}

/** A table's current state and the states before it, newest first, at most {@link HISTORY_LENGTH}. */
export interface TableRecord extends TableStateEntry {
  readonly history: readonly TableStateEntry[];
}

/** States kept in a table's history: enough to see how it got where it is. */
export const HISTORY_LENGTH = 10;

/** Which state may follow which (see the module comment). */
const NEXT: Readonly<Record<TableStateKind, readonly TableStateKind[]>> = {
  pending: ['copying'],
  // Pending again when the copy stopped with the reader (or lost its snapshot): the next try starts over.
  copying: ['copied', 'errored', 'pending'],
  // Pending when the slot is lost.
  copied: ['re-reading', 'pending'],
  // Copied at the point, or at the last copy when the re-read stopped with the reader.
  're-reading': ['copied', 'errored'],
  errored: ['copying', 're-reading', 'pending'],
};

/** A state change the machine does not allow: a bug in the reader, never the user's doing. */
export class IllegalTableTransitionError extends Error {
  override readonly name = 'IllegalTableTransitionError';
}

/** The record of a table the reader has not touched. */
export function pendingRecord(): TableRecord {
  return { state: { kind: 'pending' }, since: null, history: [] };
}

/** The table's record after it moves to `next` at `at`; throws if the machine does not allow the move. */
export function moveTable(table: string, record: TableRecord, next: TableState, at: Date): TableRecord {
  const from = record.state.kind;
  if (!NEXT[from].includes(next.kind)) {
    throw new IllegalTableTransitionError(
      `Table ${table} cannot go from ${from} to ${next.kind} (allowed: ${NEXT[from].join(', ')}).`,
    );
  }
  const previous: TableStateEntry = { state: record.state, since: record.since };
  return {
    state: next,
    since: at.toISOString(),
    history: [previous, ...record.history].slice(0, HISTORY_LENGTH),
  };
}

/** The table's newest finished copy, if it has one. */
export function lastCopy(state: TableState): TableCopy | undefined {
  if (state.kind === 'copied') return { lsn: state.lsn, rows: state.rows };
  if (state.kind === 're-reading' || state.kind === 'errored') return state.last;
  return undefined;
}
