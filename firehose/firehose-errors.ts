/**
 * @module
 * Errors of the local Firehose. The service errors carry the `name` the AWS SDK v3 gives the same
 * exception, so callers written against the SDK (`err.name === 'InvalidArgumentException'`) work unchanged.
 * The three service errors belong to the RecordBatchPutter port and are re-exported from it.
 */

export {
  InvalidArgumentError,
  ResourceNotFoundError,
  ServiceUnavailableError,
} from '../core/ports/record-batch-putter.ts';

/** A delivery stream's configuration breaks a rule AWS enforces at `CreateDeliveryStream`. */
export class FirehoseConfigError extends Error {
  override readonly name = 'FirehoseConfigError';
}

/** A prefix could not be evaluated for an object (missing partition key, too long): records go to errors. */
export class PrefixEvaluationError extends Error {
  override readonly name = 'PrefixEvaluationError';
}

/** The spool directory could not be read or written; accepted records may be at risk. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}

/** The local Firehose was used after `close()`. */
export class FirehoseClosedError extends Error {
  override readonly name = 'FirehoseClosedError';
}
