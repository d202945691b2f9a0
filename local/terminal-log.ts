/**
 * @module
 * The readable printer of the log port for a person at a terminal: one line per entry on stderr (stdout
 * keeps the status lines and results), `HH:MM:SS LEVEL stage message key=value ...`, errors with their causes.
 */

import { ENV } from '../core/operations.ts';
import {
  errorChain,
  type Log,
  type LogEntry,
  type LogLevel,
  logWriting,
  parseLogLevel,
} from '../core/ports/log.ts';

/** Where lines go: `process.stderr` by default. */
export interface LineSink {
  write(text: string): unknown;
}

/** Options of {@link terminalLog}. */
export interface TerminalLogOptions {
  readonly sink?: LineSink;
  /**
   * The lowest level printed; WARN and ERROR are always printed whatever this says.
   * @default the level in `POWERTOOLS_LOG_LEVEL` when set, else WARN (progress has its own lines)
   */
  readonly minimum?: LogLevel;
  readonly clock?: () => Date;
}

/** A log printing readable lines; every warning and error reaches the terminal. */
export function terminalLog(options: TerminalLogOptions = {}): Log {
  const sink = options.sink ?? process.stderr;
  const clock = options.clock ?? (() => new Date());
  const wanted = options.minimum ?? parseLogLevel(process.env[ENV.logLevel]) ?? 'WARN';
  // A person must see every warning: a minimum above WARN is lowered to it.
  const minimum = wanted === 'ERROR' ? 'WARN' : wanted;
  return logWriting((entry) => sink.write(`${formatLogLine(entry, clock())}\n`), minimum);
}

/** One entry as a line of text. */
export function formatLogLine(entry: LogEntry, at: Date): string {
  const { level, message, stage, error, ...fields } = entry;
  const parts = [at.toISOString().slice(11, 19), level.padEnd(5), ...(stage ? [stage] : []), message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(value)}`);
  }
  if (error !== undefined) parts.push(`error: ${errorChain(error)}`);
  return parts.join(' ');
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => `${k}:${String(v)}`)
      .join(',');
  }
  const text = String(value);
  return /\s/.test(text) ? JSON.stringify(text) : text;
}
