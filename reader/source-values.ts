/**
 * @module
 * One value encoding for both reader paths: the text PostgreSQL sends in a pgoutput tuple and the text a
 * `COPY ... TO STDOUT` row holds are the same output-function text, so both go through {@link valueDecoder}.
 * Snapshot rows and streamed rows therefore can never drift apart (the classic "timestamps shifted only in the
 * snapshot path" bug).
 *
 * Integers become JSON numbers, booleans JSON booleans; everything else (numeric, timestamp(3), text dates,
 * enum labels, int8) stays exactly the text PostgreSQL printed, so nothing is rounded or re-zoned.
 */
import type { SourceValue } from '../core/change-event.ts';

/** PostgreSQL type OIDs that get a non-text encoding. */
const OID = { bool: 16, int2: 21, int4: 23 } as const;

/** Turns one column's output text into its event value. */
export type ValueDecoder = (text: string) => SourceValue;

const asText: ValueDecoder = (text) => text;
const asInteger: ValueDecoder = (text) => Number(text);
const asBoolean: ValueDecoder = (text) => text === 't';

/**
 * The decoder for a column of the given type OID. int8 is deliberately text: it can exceed 2^53.
 *
 * @example
 * valueDecoder(1700)('12.30') === '12.30'; valueDecoder(23)('7') === 7; valueDecoder(16)('t') === true;
 */
export function valueDecoder(typeOid: number): ValueDecoder {
  if (typeOid === OID.int2 || typeOid === OID.int4) return asInteger;
  if (typeOid === OID.bool) return asBoolean;
  return asText;
}

/**
 * Session settings for every connection the reader opens, replication and COPY alike: output text must not
 * depend on the server's or the role's defaults (DateStyle decides how a timestamp is printed).
 */
export const READER_SESSION_OPTIONS = '-c DateStyle=ISO,YMD -c IntervalStyle=postgres -c TimeZone=UTC';

/** A connection config with the reader's session settings appended to any the caller gave. */
export function readerConnection<T extends { options?: string | undefined }>(config: T): T {
  return {
    ...config,
    options: config.options ? `${config.options} ${READER_SESSION_OPTIONS}` : READER_SESSION_OPTIONS,
  };
}

const COPY_ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * Decodes the backslash escapes of one COPY text field. COPY TO only writes `\b \f \n \r \t \v \\`; octal
 * and hex escapes are decoded too for safety.
 */
export function unescapeCopyField(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char !== '\\' || i + 1 >= raw.length) {
      out += char;
      continue;
    }
    const next = raw[i + 1]!;
    const simple = COPY_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 1;
    } else if (next >= '0' && next <= '7') {
      const digits = /^[0-7]{1,3}/.exec(raw.slice(i + 1))![0];
      out += String.fromCharCode(Number.parseInt(digits, 8));
      i += digits.length;
    } else if (next === 'x' && /^[0-9A-Fa-f]/.test(raw[i + 2] ?? '')) {
      const digits = /^[0-9A-Fa-f]{1,2}/.exec(raw.slice(i + 2))![0];
      out += String.fromCharCode(Number.parseInt(digits, 16));
      i += 1 + digits.length;
    } else {
      out += next;
      i += 1;
    }
  }
  return out;
}
