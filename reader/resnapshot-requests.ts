/**
 * @module
 * Re-read requests: how `totesys-stream resnapshot` (or any other process) asks the running reader to re-read
 * tables. Each request is a document of its own under `reader/resnapshot-requests/`; the requester only adds
 * documents and the reader only deletes the ones it served, so neither ever read-modify-writes a document the
 * other writes, and a request made while the reader is serving earlier ones is never lost.
 */
import { randomBytes } from 'node:crypto';
import { type StateKey, type StateStore, stateKey } from '../core/ports/state-store.ts';
import { isSourceTableName, SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';

/** One request document. */
export interface ResnapshotRequest {
  readonly table: SourceTableName;
  /** When it was made (UTC ISO-8601). */
  readonly requestedAt: string;
}

/** A request waiting for the reader, with the key the reader deletes once it served it. */
export interface PendingResnapshot {
  readonly key: StateKey<ResnapshotRequest>;
  readonly table: SourceTableName;
}

/** The folder of request documents in the state store. */
export const RESNAPSHOT_REQUESTS_PREFIX = 'reader/resnapshot-requests';

/**
 * Asks a running reader (in this or another process) to re-read tables: one new document per table. The reader
 * picks them up within its poll interval and deletes each once its rows are accepted.
 */
export async function requestResnapshot(stateStore: StateStore, tables: readonly string[]): Promise<void> {
  const unknown = tables.filter((table) => !isSourceTableName(table));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown table(s) ${unknown.join(', ')}; choose from ${SOURCE_TABLE_NAMES.join(', ')}.`,
    );
  }
  const requestedAt = new Date();
  for (const table of new Set(tables as SourceTableName[])) {
    // Time first, so names sort in request order; the random part keeps two requesters apart.
    const name = `${requestedAt.getTime().toString(36)}-${randomBytes(4).toString('hex')}-${table}`;
    await stateStore.put(stateKey<ResnapshotRequest>(`${RESNAPSHOT_REQUESTS_PREFIX}/${name}`), {
      table,
      requestedAt: requestedAt.toISOString(),
    });
  }
}

/** Every request waiting, oldest first; a document that vanished meanwhile (served) is skipped. */
export async function pendingResnapshots(stateStore: StateStore): Promise<PendingResnapshot[]> {
  const pending: PendingResnapshot[] = [];
  for (const name of await stateStore.list(RESNAPSHOT_REQUESTS_PREFIX)) {
    const key = stateKey<ResnapshotRequest>(name);
    const request = await stateStore.get(key);
    if (request && isSourceTableName(request.table)) pending.push({ key, table: request.table });
  }
  return pending;
}

/** The distinct tables of some requests, in request order. */
export function requestedTables(requests: readonly PendingResnapshot[]): SourceTableName[] {
  return [...new Set(requests.map((request) => request.table))];
}

/** Deletes exactly the requests served; any made since stay for the next poll. */
export async function completeResnapshots(
  stateStore: StateStore,
  served: readonly PendingResnapshot[],
): Promise<void> {
  for (const request of served) await stateStore.delete(request.key);
}
