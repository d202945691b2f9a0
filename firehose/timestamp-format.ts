/**
 * @module
 * The subset of Java's `DateTimeFormatter` patterns that `!{timestamp:...}` prefix expressions use:
 * `yyyy`/`yy`/`uuuu`, `MM`/`M`, `dd`/`d`, `HH`/`H`, `mm`/`m`, `ss`/`s`, single-quoted literals (`''` is a
 * quote) and any non-letter character as itself. Always UTC (no `CustomTimeZone` locally).
 */
import { FirehoseConfigError } from './firehose-errors.ts';

type Field = 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second';

/** One compiled piece of a timestamp pattern. */
export type TimestampToken =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly field: Field; readonly width: number };

/** A compiled timestamp pattern. */
export type TimestampFormat = readonly TimestampToken[];

const FIELDS: Readonly<Record<string, Readonly<Record<number, Field>>>> = {
  y: { 2: 'year2', 4: 'year' },
  u: { 2: 'year2', 4: 'year' },
  M: { 1: 'month', 2: 'month' },
  d: { 1: 'day', 2: 'day' },
  H: { 1: 'hour', 2: 'hour' },
  m: { 1: 'minute', 2: 'minute' },
  s: { 1: 'second', 2: 'second' },
};

/**
 * Compiles a pattern; `where` names the prefix in error messages.
 * @throws FirehoseConfigError on an unsupported letter, width or an unterminated quote.
 */
export function compileTimestampFormat(pattern: string, where: string): TimestampFormat {
  if (pattern === '')
    throw new FirehoseConfigError(`${where}: !{timestamp:} needs a pattern such as yyyy/MM/dd.`);
  const tokens: TimestampToken[] = [];
  let at = 0;
  while (at < pattern.length) {
    const char = pattern.charAt(at);
    if (char === "'") {
      if (pattern.charAt(at + 1) === "'") {
        tokens.push({ kind: 'text', text: "'" });
        at += 2;
        continue;
      }
      const end = pattern.indexOf("'", at + 1);
      if (end < 0)
        throw new FirehoseConfigError(
          `${where}: the quoted literal at position ${at} of "${pattern}" is not closed.`,
        );
      tokens.push({ kind: 'text', text: pattern.slice(at + 1, end) });
      at = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(char)) {
      let run = 1;
      while (pattern.charAt(at + run) === char) run++;
      const field = FIELDS[char]?.[run];
      if (!field)
        throw new FirehoseConfigError(
          `${where}: "${char.repeat(run)}" in timestamp pattern "${pattern}" is not supported locally; use yyyy, yy, MM, M, dd, d, HH, H, mm, m, ss, s or a quoted literal.`,
        );
      tokens.push({ kind: 'field', field, width: run });
      at += run;
      continue;
    }
    tokens.push({ kind: 'text', text: char });
    at++;
  }
  return tokens;
}

function fieldValue(field: Field, date: Date): number {
  switch (field) {
    case 'year':
      return date.getUTCFullYear();
    case 'year2':
      return date.getUTCFullYear() % 100;
    case 'month':
      return date.getUTCMonth() + 1;
    case 'day':
      return date.getUTCDate();
    case 'hour':
      return date.getUTCHours();
    case 'minute':
      return date.getUTCMinutes();
    case 'second':
      return date.getUTCSeconds();
  }
}

/** Formats an instant (epoch ms) in UTC. */
export function formatTimestamp(format: TimestampFormat, epochMs: number): string {
  const date = new Date(epochMs);
  let out = '';
  for (const token of format) {
    if (token.kind === 'text') out += token.text;
    else out += String(fieldValue(token.field, date)).padStart(token.width, '0');
  }
  return out;
}
