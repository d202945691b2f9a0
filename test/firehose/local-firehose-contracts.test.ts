import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import { type DeliveryStreamConfig, totesysDeliveryStreams } from '../../firehose/stream-config.ts';
import type { TransformFunction } from '../../firehose/transformation-invocation.ts';
import { describeChangeStreamContract } from '../reader/change-stream-contract.ts';
import { firehoseChangeStreamSubject } from '../reader/firehose-change-stream-subject.ts';
import { describeRecordBatchPutterContract } from '../reader/record-batch-putter-contract.ts';
import { MemoryObjectStore, NEVER, openFirehose, recording, tempDir } from './firehose-fixtures.ts';

/** The contracts are about acceptance, not conversion: records read back are dropped, not turned to Parquet. */
const dropEveryRecord: TransformFunction = async (event) => ({
  records: event.records.map((record) => ({
    recordId: record.recordId,
    result: 'Dropped',
    data: record.data,
  })),
});

/**
 * A local Firehose with the pipeline's 11 streams that delivers nothing until flushed, and what its spool
 * holds as a process opening the same directory later finds it: every record it accepted, delivered to a
 * recording transformation.
 */
async function localFirehose(): Promise<{
  firehose: LocalFirehose;
  acceptedAfterRestart(): Promise<Map<string, Uint8Array[]>>;
  dispose(): Promise<void>;
}> {
  const { dir, cleanup } = await tempDir();
  const streams = (transform: TransformFunction): DeliveryStreamConfig[] =>
    totesysDeliveryStreams({
      store: new MemoryObjectStore(),
      bucket: 'lake',
      transform,
      processorBuffering: NEVER,
      bufferingHints: NEVER,
    });
  const firehose = await openFirehose(dir, streams(dropEveryRecord));
  return {
    firehose,
    async acceptedAfterRestart() {
      await firehose.close({ deliver: false });
      const recorded = recording(dropEveryRecord);
      const restarted = await openFirehose(dir, streams(recorded.transform));
      await restarted.close();
      return acceptedPayloads(recorded.events);
    },
    async dispose() {
      await firehose.close({ deliver: false });
      await cleanup();
    },
  };
}

function acceptedPayloads(events: readonly FirehoseTransformationEvent[]): Map<string, Uint8Array[]> {
  const payloads = new Map<string, Uint8Array[]>();
  for (const event of events) {
    const stream = event.deliveryStreamArn.slice(event.deliveryStreamArn.lastIndexOf('/') + 1);
    const list = payloads.get(stream) ?? [];
    payloads.set(stream, list);
    for (const record of event.records) list.push(Buffer.from(record.data, 'base64'));
  }
  return payloads;
}

describeRecordBatchPutterContract(
  'LocalFirehose',
  async () => {
    const { firehose, acceptedAfterRestart, dispose } = await localFirehose();
    return {
      putter: firehose,
      stream: 'totesys-currency',
      faults: {
        // Call numbers count every call of the Firehose, so "the next call" is the first one a fault sees.
        throttleNextCall() {
          let call: number | undefined;
          firehose.setFaults({
            throttleCall: ({ callNumber }) => {
              call ??= callNumber;
              return call === callNumber;
            },
          });
        },
        failEntriesOfNextCall(indexes) {
          let call: number | undefined;
          firehose.setFaults({
            failEntry: ({ callNumber, index }) => {
              call ??= callNumber;
              return call === callNumber && indexes.includes(index);
            },
          });
        },
      },
      acceptedAfterRestart: async () => (await acceptedAfterRestart()).get('totesys-currency') ?? [],
      close: dispose,
    };
  },
  { withFaults: true },
);

describeChangeStreamContract('FirehoseChangeStream over LocalFirehose', async () => {
  const { firehose, acceptedAfterRestart, dispose } = await localFirehose();
  return firehoseChangeStreamSubject({ putter: firehose, acceptedAfterRestart, dispose });
});
