/**
 * @module
 * S3 object names as Firehose forms them:
 * `<evaluated prefix><stream>-<stream version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>`, the time
 * being the arrival time of the oldest record in the object (UTC). Readers must not parse these names.
 */
import { randomUUID } from 'node:crypto';

/** The version of a stream that was never updated. */
export const INITIAL_STREAM_VERSION = 1;

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** The object key for one delivered object. `extension` is `.parquet` for converted data, `''` for errors. */
export function objectKey(
  evaluatedPrefix: string,
  streamName: string,
  streamVersion: number,
  oldestArrivalMs: number,
  extension: string,
): string {
  const at = new Date(oldestArrivalMs);
  const time = [
    at.getUTCFullYear(),
    two(at.getUTCMonth() + 1),
    two(at.getUTCDate()),
    two(at.getUTCHours()),
    two(at.getUTCMinutes()),
    two(at.getUTCSeconds()),
  ].join('-');
  return `${evaluatedPrefix}${streamName}-${streamVersion}-${time}-${randomUUID()}${extension}`;
}
