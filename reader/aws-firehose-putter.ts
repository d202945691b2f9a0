/**
 * @module
 * The AWS SDK v3 Firehose client behind the project's `RecordBatchPutter` contract.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type {
  PutRecordBatchInput,
  PutRecordBatchOutput,
  RecordBatchPutter,
} from '../core/ports/record-batch-putter.ts';

/** Sends `PutRecordBatch` to Amazon Data Firehose. SDK errors (throttling included) propagate unchanged. */
export class AwsFirehosePutter implements RecordBatchPutter {
  readonly #client: FirehoseClient;

  constructor(client: FirehoseClient = new FirehoseClient({})) {
    this.#client = client;
  }

  async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    const output = await this.#client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: input.DeliveryStreamName,
        Records: input.Records.map((record) => ({ Data: record.Data })),
      }),
    );
    return {
      FailedPutCount: output.FailedPutCount ?? 0,
      Encrypted: output.Encrypted,
      RequestResponses: (output.RequestResponses ?? []).map((entry) => ({
        RecordId: entry.RecordId,
        ErrorCode: entry.ErrorCode,
        ErrorMessage: entry.ErrorMessage,
      })),
    };
  }
}
