/**
 * @module
 * PostgreSQL COPY text format: one row per line, columns separated by tabs, `\N` for NULL, and backslash
 * escapes for the characters that would break the framing. Used to load with COPY FROM and to read pg_dump
 * output.
 */

/** A row as COPY sees it: column text values in table column order, null for NULL. */
export type CopyRow = readonly (string | null)[];

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Encodes one row as a COPY text line, newline included. */
export function encodeCopyRow(row: CopyRow): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i > 0) line += '\t';
    const value = row[i];
    line += value === null || value === undefined ? '\\N' : escapeCopyValue(value);
  }
  return `${line}\n`;
}

function escapeCopyValue(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (char) => ESCAPES[char] ?? char) : value;
}

const UNESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Decodes one COPY text line (without its newline) into column values. */
export function decodeCopyLine(line: string): (string | null)[] {
  return line.split('\t').map((field) => {
    if (field === '\\N') return null;
    if (!field.includes('\\')) return field;
    return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_match, code: string) => {
      if (code[0] === 'x') return String.fromCharCode(Number.parseInt(code.slice(1), 16));
      if (/^[0-7]/.test(code)) return String.fromCharCode(Number.parseInt(code, 8));
      return UNESCAPES[code] ?? code;
    });
  });
}
