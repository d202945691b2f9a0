/**
 * @module
 * Errors of the local Firehose. The service errors carry the `name` the AWS SDK v3 gives the same
 * exception, so callers written against the SDK (`err.name === 'InvalidArgumentException'`) work unchanged.
 */

/** The whole `PutRecordBatch` call was refused: over a limit or malformed. Not retryable as is. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentException';
}

/** The named delivery stream does not exist. */
export class ResourceNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** The call was throttled (fault injection locally); retry with backoff. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableException';
}

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
