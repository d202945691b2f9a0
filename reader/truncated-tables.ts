/**
 * @module
 * A TRUNCATE at the source empties a table with no delete per row: the stream carries one `t` event for it,
 * which names no key the loader could delete. The reader answers it with a re-read of the table (a resnapshot
 * request, served by reader/requested-rereads.ts). A completed re-read is authoritative (README, "What it
 * guarantees"): every key of the table the warehouse holds and the re-read no longer does gets a delete at the
 * re-read's LSN (loader/complete-reads.ts), so the truncated rows leave the warehouse's current state and its
 * facts keep their history. The request is made durable before the put of the batch holding the `t` event
 * resolves, so before its LSN can be acknowledged to PostgreSQL: a crash re-delivers the event or finds the
 * request, never neither. A request that comes twice re-reads once more, which changes nothing.
 */

import { formatLsn } from '../core/lsn.ts';
import type { ChangeStream } from '../core/ports/change-stream.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { requestResnapshot } from './resnapshot-requests.ts';

/** `stream`, with a re-read of each table a `t` event of a batch names requested before the batch is put. */
export function rereadingTruncatedTables(
  stream: ChangeStream,
  stateStore: StateStore,
  log: Log = SILENT_LOG,
): ChangeStream {
  return {
    put: async (events) => {
      const truncated = new Map<SourceTableName, string>();
      for (const event of events) if (event.op === 't') truncated.set(event.table, event.lsn);
      if (truncated.size > 0) {
        await requestResnapshot(stateStore, [...truncated.keys()]);
        for (const [table, lsn] of truncated)
          log.info('a truncated table is re-read, so the warehouse drops its rows', {
            table,
            lsn: formatLsn(BigInt(lsn)),
          });
      }
      return stream.put(events);
    },
    close: () => stream.close(),
  };
}
