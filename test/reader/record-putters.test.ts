import { deliveryStreamName } from '../../core/ports/record-batch-putter.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import {
  FaultyRecordPutter,
  MemoryRecordPutter,
  type PutFault,
  serviceUnavailable,
} from '../../testing/record-putters.ts';
import { describeChangeStreamContract } from './change-stream-contract.ts';
import { firehoseChangeStreamSubject } from './firehose-change-stream-subject.ts';
import { describeRecordBatchPutterContract } from './record-batch-putter-contract.ts';

const STREAMS = SOURCE_TABLE_NAMES.map((table) => deliveryStreamName(table));

describeRecordBatchPutterContract(
  'MemoryRecordPutter',
  async () => {
    const putter = new MemoryRecordPutter({ streams: STREAMS });
    return {
      putter,
      stream: 'totesys-currency',
      acceptedAfterRestart: async () => putter.records.get('totesys-currency') ?? [],
      close: async () => undefined,
    };
  },
  { withFaults: false },
);

describeRecordBatchPutterContract(
  'FaultyRecordPutter',
  async () => {
    const inner = new MemoryRecordPutter({ streams: STREAMS });
    let next: PutFault;
    const putter = new FaultyRecordPutter(inner, () => {
      const fault = next;
      next = undefined;
      return fault;
    });
    return {
      putter,
      stream: 'totesys-currency',
      faults: {
        throttleNextCall: () => {
          next = { kind: 'throw', error: serviceUnavailable() };
        },
        failEntriesOfNextCall: (indexes) => {
          next = { kind: 'fail-entries', indexes };
        },
      },
      acceptedAfterRestart: async () => inner.records.get('totesys-currency') ?? [],
      close: async () => undefined,
    };
  },
  { withFaults: true },
);

describeChangeStreamContract('FirehoseChangeStream over MemoryRecordPutter', async () => {
  const putter = new MemoryRecordPutter({ streams: STREAMS });
  return firehoseChangeStreamSubject({ putter, acceptedAfterRestart: async () => putter.records });
});

describeChangeStreamContract('FirehoseChangeStream over a FaultyRecordPutter that fails often', async () => {
  const inner = new MemoryRecordPutter({ streams: STREAMS });
  // Every third call is throttled and every other one fails its first entry: the stream must retry through.
  const putter = new FaultyRecordPutter(inner, (_input, call): PutFault => {
    if (call % 3 === 2) return { kind: 'throw', error: serviceUnavailable() };
    return call % 2 === 0 ? { kind: 'fail-entries', indexes: [0] } : undefined;
  });
  return firehoseChangeStreamSubject({ putter, acceptedAfterRestart: async () => inner.records });
});
