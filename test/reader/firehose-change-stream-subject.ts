/**
 * @module
 * The Firehose change stream over any RecordBatchPutter as a ChangeStream contract subject: the putter is
 * wrapped in a switch that refuses calls the way a revoked permission does, and what its streams accepted is
 * decoded back into routed events.
 */
import type { ChangeEvent } from '../../core/change-event.ts';
import { DEFAULT_STREAM_PREFIX, type RecordBatchPutter } from '../../core/ports/record-batch-putter.ts';
import { isSourceTableName } from '../../core/schema/source-tables.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { FaultyRecordPutter } from '../../testing/record-putters.ts';
import type { ChangeStreamUnderTest, RoutedEvent } from './change-stream-contract.ts';

/** What a putter accepted: payloads by delivery stream name. */
export type AcceptedRecords = ReadonlyMap<string, readonly Uint8Array[]>;

/** The events of accepted payloads (newline-terminated JSON), each with the table its stream is named for. */
export function routedEvents(records: AcceptedRecords, prefix = DEFAULT_STREAM_PREFIX): RoutedEvent[] {
  const routed: RoutedEvent[] = [];
  for (const [name, payloads] of records) {
    const table = name.slice(prefix.length);
    if (!name.startsWith(prefix) || !isSourceTableName(table))
      throw new Error(`Records reached stream ${name}.`);
    for (const payload of payloads) {
      for (const line of Buffer.from(payload).toString('utf8').split('\n')) {
        if (line !== '') routed.push({ stream: table, event: JSON.parse(line) as ChangeEvent });
      }
    }
  }
  return routed;
}

/**
 * A FirehoseChangeStream over `putter`. It holds at most one call in flight (so a second put waits for room,
 * as under load) and retries without waiting.
 */
export function firehoseChangeStreamSubject(options: {
  readonly putter: RecordBatchPutter;
  /** What the putter's streams accepted, read as a restarted process would. */
  readonly acceptedAfterRestart: () => Promise<AcceptedRecords>;
  readonly dispose?: () => Promise<void>;
}): ChangeStreamUnderTest {
  let refusing = false;
  const refused = (): Error => {
    const error = new Error('User is not authorized to perform: firehose:PutRecordBatch.');
    error.name = 'AccessDeniedException';
    return error;
  };
  const putter = new FaultyRecordPutter(options.putter, () =>
    refusing ? { kind: 'throw', error: refused() } : undefined,
  );
  return {
    stream: new FirehoseChangeStream({ putter, maxInFlightBytes: 1, sleep: async () => undefined }),
    refusePuts(on) {
      refusing = on;
    },
    acceptedAfterRestart: async () => routedEvents(await options.acceptedAfterRestart()),
    dispose: options.dispose ?? (async () => undefined),
  };
}
