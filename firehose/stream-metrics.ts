/**
 * @module
 * Per-stream metrics of the local Firehose, named after their CloudWatch counterparts in `AWS/Firehose`
 * (IncomingRecords, DeliveryToS3.DataFreshness, ...) so local `status` and AWS dashboards read alike.
 */

/** A snapshot of one delivery stream's metrics since start. */
export interface DeliveryStreamMetrics {
  readonly streamName: string;
  /** `IncomingPutRequests`. */
  readonly incomingPutRequests: number;
  /** `IncomingRecords`: records accepted (not counting failed entries). */
  readonly incomingRecords: number;
  /** `IncomingBytes`. */
  readonly incomingBytes: number;
  /** Entries refused by fault injection or throttled calls. */
  readonly throttledRecords: number;
  /** `DeliveryToS3.ObjectCount` (Parquet objects). */
  readonly deliveredObjects: number;
  /** `DeliveryToS3.Records`: Firehose records converted and written. */
  readonly deliveredRecords: number;
  /** Parquet rows written (several per record when events are packed). */
  readonly deliveredRows: number;
  /** Parquet bytes written. */
  readonly deliveredBytes: number;
  /** `DeliveryToS3.DataFreshness`: age in seconds of the oldest undelivered record; 0 when none. */
  readonly dataFreshnessSeconds: number;
  /** Lambda invocations, including retries. */
  readonly invocations: number;
  /** Invocations that failed as a whole (threw, or a malformed response). */
  readonly invocationFailures: number;
  /** Records that ended under `processing-failed`. */
  readonly processingFailedRecords: number;
  /** Records the transformation dropped. */
  readonly droppedRecords: number;
  /** `FailedConversion.Records`: records under `format-conversion-failed`. */
  readonly conversionFailedRecords: number;
  /** Records under `partitioning-failed`. */
  readonly partitioningFailedRecords: number;
  /** Error objects written. */
  readonly errorObjects: number;
  /** Object store writes that failed (retried). */
  readonly deliveryErrors: number;
  /** Bytes accepted but not yet resolved. */
  readonly backlogBytes: number;
}

/** The mutable counters behind {@link DeliveryStreamMetrics}. */
export class DeliveryStreamCounters {
  incomingPutRequests = 0;
  incomingRecords = 0;
  incomingBytes = 0;
  throttledRecords = 0;
  deliveredObjects = 0;
  deliveredRecords = 0;
  deliveredRows = 0;
  deliveredBytes = 0;
  invocations = 0;
  invocationFailures = 0;
  processingFailedRecords = 0;
  droppedRecords = 0;
  conversionFailedRecords = 0;
  partitioningFailedRecords = 0;
  errorObjects = 0;
  deliveryErrors = 0;

  /** Freezes the counters with the figures only the stream knows. */
  snapshot(streamName: string, dataFreshnessSeconds: number, backlogBytes: number): DeliveryStreamMetrics {
    return {
      streamName,
      incomingPutRequests: this.incomingPutRequests,
      incomingRecords: this.incomingRecords,
      incomingBytes: this.incomingBytes,
      throttledRecords: this.throttledRecords,
      deliveredObjects: this.deliveredObjects,
      deliveredRecords: this.deliveredRecords,
      deliveredRows: this.deliveredRows,
      deliveredBytes: this.deliveredBytes,
      dataFreshnessSeconds,
      invocations: this.invocations,
      invocationFailures: this.invocationFailures,
      processingFailedRecords: this.processingFailedRecords,
      droppedRecords: this.droppedRecords,
      conversionFailedRecords: this.conversionFailedRecords,
      partitioningFailedRecords: this.partitioningFailedRecords,
      errorObjects: this.errorObjects,
      deliveryErrors: this.deliveryErrors,
      backlogBytes,
    };
  }
}
