/**
 * @module
 * The log port on Lambda: Powertools Logger, one JSON line per entry in CloudWatch Logs with `level`,
 * `message`, `service`, `timestamp`, the request id once bound, and the entry's fields; errors with their
 * stack and causes (Powertools formats them).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ServiceName } from '../../core/operations.ts';
import { type Log, logWriting } from '../../core/ports/log.ts';

/** A {@link Log} writing through `logger`. The logger filters levels itself (`POWERTOOLS_LOG_LEVEL`). */
export function powertoolsLog(logger: Logger): Log {
  return logWriting(({ level, message, ...fields }) => {
    const extra: Record<string, unknown> = fields;
    if (level === 'DEBUG') logger.debug(message, extra);
    else if (level === 'INFO') logger.info(message, extra);
    else if (level === 'WARN') logger.warn(message, extra);
    else logger.error(message, extra);
  });
}

/** The Logger of one Lambda (created once per container). */
export function lambdaLogger(serviceName: ServiceName): Logger {
  return new Logger({ serviceName });
}
