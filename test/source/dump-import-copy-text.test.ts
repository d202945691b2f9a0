import { describe, expect, it } from 'vitest';
import { decodeCopyLine, encodeCopyRow } from '../../source/copy-text.ts';

describe('COPY text format', () => {
  it('round-trips tabs, newlines, backslashes, NULL and the literal string NULL', () => {
    const row = ['a\tb', 'line 1\nline 2\r', 'C:\\path', null, 'NULL', "People's", ''];

    const line = encodeCopyRow(row);

    expect(line).toBe("a\\tb\tline 1\\nline 2\\r\tC:\\\\path\t\\N\tNULL\tPeople's\t\n");
    expect(decodeCopyLine(line.slice(0, -1))).toEqual(row);
  });

  it('decodes the octal and hex escapes pg_dump may write', () => {
    expect(decodeCopyLine('\\101\\x42\\b\tx')).toEqual(['AB\b', 'x']);
  });
});
