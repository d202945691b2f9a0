/**
 * @module
 * The Firehose transformation Lambda: a thin shell over transform/firehose-transformation.ts. It logs each
 * refused record as one JSON line, since Firehose's response has no field for a reason and this log is what
 * on-call reads (identifiers only, never row values).
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { SERVICES } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import { transformBatch } from '../../transform/firehose-transformation.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';

/** A handler logging to `log`: each change event of the batch to its lake row, every recordId once. */
export function createHandler(log: Log) {
  return async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
    const { response, failures } = transformBatch(event);
    for (const { recordId, reason, table, column, lsn } of failures) {
      log.error('firehose record ProcessingFailed', {
        stage: 'transformer',
        stream: event.deliveryStreamArn.split('/').pop(),
        id: recordId,
        invocationId: event.invocationId,
        table,
        column,
        lsn,
        reason,
      });
    }
    return response;
  };
}

/** The Lambda entry point. */
export const handler = createHandler(powertoolsLog(lambdaLogger(SERVICES.transformer)));
