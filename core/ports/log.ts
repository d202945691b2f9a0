/**
 * @module
 * Log: where every stage says what it did and what went wrong. Fixed levels and a fixed set of keys, so the
 * same entry reads the same in the terminal (`up`, `sync`) and in CloudWatch Logs (Powertools Logger on
 * Lambda), and a test can assert on it.
 */

/** The levels, lowest first. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The stage an entry comes from. */
export type LogStage =
  | 'reader'
  | 'firehose'
  | 'transformer'
  | 'loader'
  | 'compaction'
  | 'seed'
  | 'smoke'
  | 'simulator'
  | 'source'
  | 'http'
  | 'collector'
  | 'forecast';

/**
 * The keys an entry may carry beside its level and message: identifiers, positions and counts only, never
 * a row value, a password or a secret.
 */
export interface LogFields {
  readonly stage?: LogStage;
  readonly table?: string;
  readonly tables?: readonly string[];
  readonly column?: string;
  readonly slot?: string;
  /** A delivery stream name. */
  readonly stream?: string;
  /** A row's primary key as JSON (`{"design_id":7}`): an identifier, never another column's value. */
  readonly key?: string;
  /** An object's key in the lake bucket (an error object, a quarantined file). */
  readonly object?: string;
  /** An LSN, as PostgreSQL prints it (`X/Y`) or as the decimal the change events carry. */
  readonly lsn?: string;
  /** A Firehose record id or a Lambda request id. */
  readonly id?: string;
  /** A Firehose invocation id (one transformation batch). */
  readonly invocationId?: string;
  readonly rows?: number;
  readonly delayMs?: number;
  /** Named counts (rows per table, inferred members, ...). */
  readonly counts?: Readonly<Record<string, number>>;
  /** Why, in words (a rejected record's reason). */
  readonly reason?: string;
  /** The failure, printed with its cause chain. */
  readonly error?: unknown;
}

/** One entry as an implementation receives it. */
export interface LogEntry extends LogFields {
  readonly level: LogLevel;
  readonly message: string;
}

/**
 * A structured log.
 *
 * Contract:
 * - Each call at or above the log's minimum level writes exactly one entry, with its level, its message and
 *   every given field; a call below it writes nothing. WARN and ERROR are never below the minimum of a log
 *   a person reads (`up`, `sync`): every warning reaches the user.
 * - `error` is shown with its message and every `cause` beneath it.
 * - Messages are lowercase sentences naming what happened; fields carry the identifiers.
 * - Logging never throws and never waits.
 *
 * @example
 * log.warn('re-read failed; it stays requested', { stage: 'reader', tables: ['staff'], error });
 */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A log that adds `fields` to each entry (e.g. `{ stage: 'reader' }`); the entry's own fields win. */
  with(fields: LogFields): Log;
}

/** Whether `level` is at or above `minimum`. */
export function logLevelReaches(level: LogLevel, minimum: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/** Reads a level name case-insensitively (`warn`, `WARN`); undefined for anything else. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const upper = text?.trim().toUpperCase();
  return LOG_LEVELS.find((level) => level === upper);
}

/**
 * A {@link Log} over a function that writes one entry: implementations supply only that, and share the
 * level filter and the bound fields.
 */
export function logWriting(
  write: (entry: LogEntry) => void,
  minimum: LogLevel = 'DEBUG',
  bound: LogFields = {},
): Log {
  const at =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      if (!logLevelReaches(level, minimum)) return;
      try {
        write({ ...bound, ...fields, level, message });
      } catch {
        // A log that cannot write (a closed pipe) must not take the pipeline down with it.
      }
    };
  return {
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
    with: (fields) => logWriting(write, minimum, { ...bound, ...fields }),
  };
}

/** A log that writes nothing (benchmarks, and callers that pass none). */
export const SILENT_LOG: Log = logWriting(() => undefined);

/** The message and causes of an error, outermost first, for one line of text. */
export function errorChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
  }
  return parts.join(' <- caused by: ');
}
