/**
 * @module
 * The Firehose transformation Lambda: a thin shell over transform/firehose-transformation.ts. It logs each
 * refused record as one JSON line, since Firehose's response has no field for a reason and this log is what
 * on-call reads (identifiers only, never row values). Given an error location (on AWS the lake bucket named by
 * `TOTESYS_LAKE_BUCKET`, locally the lake directory), a bad event packed among good ones is written there on
 * its own (transform/rejected-events.ts) and its neighbours go on; without one, the whole record fails.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { ENV, METRICS, SERVICES } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../../core/ports/metrics.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { type RecordFailure, transformBatch } from '../../transform/firehose-transformation.ts';
import { type RejectedEventLocation, writeRejectedEvents } from '../../transform/rejected-events.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';

/** What the handler writes to besides its answer. */
export interface TransformerOutputs {
  /** Where refused events go; without it a bad event fails its whole record. */
  readonly errors?: RejectedEventLocation;
  readonly metrics?: MetricsPublisher;
}

/** A handler logging to `log`: each change event of the batch to its lake row, every recordId once. */
export function createHandler(log: Log, outputs: TransformerOutputs = {}) {
  const metrics = outputs.metrics ?? UNPUBLISHED_METRICS;
  return async (
    event: FirehoseTransformationEvent,
    context?: Pick<Context, 'invokedFunctionArn'>,
  ): Promise<FirehoseTransformationResult> => {
    const { response, failures, rejected } = transformBatch(event, {
      rejectEventsApart: outputs.errors !== undefined,
    });
    const stream = event.deliveryStreamArn.split('/').pop();
    /** One line per refusal: identifiers only (transform/record-rejected-error.ts), never a row value. */
    const tell = (message: string, refusal: RecordFailure, object?: string) =>
      log.error(message, {
        stage: 'transformer',
        stream,
        id: refusal.recordId,
        invocationId: event.invocationId,
        table: refusal.table,
        column: refusal.column,
        lsn: refusal.lsn,
        reason: refusal.reason,
        ...(object === undefined ? {} : { object }),
      });
    for (const failure of failures) tell('firehose record ProcessingFailed', failure);
    if (outputs.errors !== undefined && rejected.length > 0) {
      // Durable before the answer: once a record is Ok, nothing else keeps its refused events.
      const keys = await writeRejectedEvents(
        outputs.errors,
        event.deliveryStreamArn,
        rejected,
        context?.invokedFunctionArn ?? '',
      );
      for (const refusal of rejected)
        tell('change event set aside; the rest of its record went on', refusal, keys.get(refusal.recordId));
      // One series for the alarm (cdk/lib/constructs/pipeline-monitoring.ts); the log names each table.
      metrics.publish([{ name: METRICS.transformer.eventsRejected, unit: 'Count', value: rejected.length }]);
    }
    return response;
  };
}

const lakeBucket = process.env[ENV.lakeBucket];

/** The Lambda entry point: refused events to the lake bucket when the stack names it. */
export const handler = createHandler(powertoolsLog(lambdaLogger(SERVICES.transformer)), {
  ...(lakeBucket
    ? {
        errors: {
          store: new S3ObjectStore({ client: new S3Client({}), bucket: lakeBucket }),
          now: Date.now,
        },
        metrics: powertoolsMetrics(lambdaMetrics(SERVICES.transformer)),
      }
    : {}),
});
