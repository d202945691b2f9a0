/**
 * @module
 * The Firehose transformation Lambda: a thin shell over transform/firehose-transformation.ts. It logs each
 * refused record as one JSON line, since Firehose's response has no field for a reason and this log is what
 * on-call reads (identifiers only, never row values).
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { transformBatch } from '../../transform/firehose-transformation.ts';

/** Maps each change event of the batch to its lake row; every recordId comes back exactly once. */
export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
  const { response, failures } = transformBatch(event);
  for (const failure of failures) {
    console.error(
      JSON.stringify({
        level: 'ERROR',
        message: 'Firehose record ProcessingFailed',
        deliveryStreamArn: event.deliveryStreamArn,
        invocationId: event.invocationId,
        ...failure,
      }),
    );
  }
  return response;
};
