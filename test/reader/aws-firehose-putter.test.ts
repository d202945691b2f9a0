import { FirehoseClient, PutRecordBatchCommand, ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { deliveryStreamName } from '../../core/ports/record-batch-putter.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { AwsFirehosePutter } from '../../reader/aws-firehose-putter.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { describeChangeStreamContract } from './change-stream-contract.ts';
import { firehoseChangeStreamSubject } from './firehose-change-stream-subject.ts';
import { FirehoseServiceMock } from './firehose-service-mock.ts';
import { describeRecordBatchPutterContract } from './record-batch-putter-contract.ts';

const firehose = mockClient(FirehoseClient);
const STREAMS = SOURCE_TABLE_NAMES.map((table) => deliveryStreamName(table));

/** A fresh service behind the mock, and the adapter over a real SDK client that the mock answers. */
function awsFirehose(): { service: FirehoseServiceMock; putter: AwsFirehosePutter } {
  const service = new FirehoseServiceMock(STREAMS);
  service.install(firehose);
  return { service, putter: new AwsFirehosePutter(new FirehoseClient({ region: 'eu-west-2' })) };
}

describeRecordBatchPutterContract(
  'AwsFirehosePutter',
  async () => {
    const { service, putter } = awsFirehose();
    return {
      putter,
      stream: 'totesys-currency',
      faults: service,
      acceptedAfterRestart: async () => service.records.get('totesys-currency') ?? [],
      close: async () => undefined,
    };
  },
  { withFaults: true },
);

describeChangeStreamContract('FirehoseChangeStream over AwsFirehosePutter', async () => {
  const { service, putter } = awsFirehose();
  return firehoseChangeStreamSubject({ putter, acceptedAfterRestart: async () => service.records });
});

const event: ChangeEvent = {
  table: 'currency',
  op: 'c',
  key: { currency_id: 1 },
  row: { currency_id: 1, currency_code: 'GBP' },
  lsn: '42',
  seq: 0,
  xid: 9,
  commit_ts: '2026-11-22T10:00:00.000Z',
};

describe('AWS Firehose putter', () => {
  beforeEach(() => {
    firehose.reset();
  });

  it('sends PutRecordBatch with the records as bytes and maps failed entries back in order', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [
        { RecordId: 'a' },
        { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' },
      ],
    });
    const putter = new AwsFirehosePutter(new FirehoseClient({ region: 'eu-west-2' }));
    const data = [new TextEncoder().encode('one\n'), new TextEncoder().encode('two\n')];

    const output = await putter.putRecordBatch({
      DeliveryStreamName: 'totesys-currency',
      Records: data.map((Data) => ({ Data })),
    });

    const input = firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input;
    expect(input.DeliveryStreamName).toBe('totesys-currency');
    expect(input.Records?.map((record) => new TextDecoder().decode(record.Data))).toEqual(['one\n', 'two\n']);
    expect(output).toEqual({
      FailedPutCount: 1,
      Encrypted: undefined,
      RequestResponses: [
        { RecordId: 'a', ErrorCode: undefined, ErrorMessage: undefined },
        { RecordId: undefined, ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' },
      ],
    });
  });

  it('lets the change stream retry the SDK throttling exception until the call succeeds', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejectsOnce(new ServiceUnavailableException({ message: 'Slow down.', $metadata: {} }))
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r1' }] });
    const stream = new FirehoseChangeStream({
      putter: new AwsFirehosePutter(new FirehoseClient({ region: 'eu-west-2' })),
      sleep: async () => undefined,
    });

    const report = await stream.put([event]);

    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
    expect(report).toMatchObject({ eventCount: 1, recordCount: 1, retryCount: 1 });
  });
});
