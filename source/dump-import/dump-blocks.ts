/**
 * @module
 * Finds the `COPY <table> (<columns>) FROM stdin;` blocks of a pg_dump in COPY format. Everything else in the
 * dump (SET lines, the dump's own loose CREATE TABLEs, ALTER ... OWNER lines) is ignored: the real source
 * schema comes from the migration.
 */
import { open, stat } from 'node:fs/promises';
import { readLines } from './dump-lines.ts';

/** One COPY block: the table it fills, its column list, and the byte range of its data lines. */
export interface DumpBlock {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
  /** The dump line of the COPY statement (1-based), for error messages. */
  readonly line: number;
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly rows: number;
}

/** The dump cannot be read; the message names the line. */
export class DumpFormatError extends Error {
  override readonly name = 'DumpFormatError';
}

const COPY_HEADER = /^COPY\s+(?:("?)([\w$]+)\1\.)?("?)([\w$]+)\3\s*(?:\(([^)]*)\))?\s+FROM\s+stdin\s*;\s*$/i;

/** How pg_dump's archive formats begin: custom (`-Fc`) with `PGDMP`, tar (`-Ft`) with `ustar` at byte 257. */
const CUSTOM_MAGIC = Buffer.from('PGDMP');
const TAR_MAGIC = Buffer.from('ustar');

/** Refuses a pg_dump archive (custom, tar or directory format), saying how to get the plain format. */
async function assertPlainFormat(path: string): Promise<void> {
  const convert =
    'this importer reads plain SQL dumps. Dump with `pg_dump --format=plain` (the default), or turn the ' +
    `archive into one: \`pg_restore --data-only -f totesys.sql ${path}\`, then import totesys.sql.`;
  if ((await stat(path)).isDirectory())
    throw new DumpFormatError(`${path} is a directory (pg_dump's directory format?); ${convert}`);
  const head = Buffer.alloc(262);
  const file = await open(path, 'r');
  try {
    await file.read(head, 0, head.length, 0);
  } finally {
    await file.close();
  }
  if (head.subarray(0, 5).equals(CUSTOM_MAGIC))
    throw new DumpFormatError(
      `${path} is a pg_dump archive in custom format (it starts with PGDMP); ${convert}`,
    );
  if (head.subarray(257, 262).equals(TAR_MAGIC))
    throw new DumpFormatError(`${path} is a tar archive (pg_dump's tar format?); ${convert}`);
}

/** Scans the dump once and lists its COPY blocks in file order. */
export async function findDumpBlocks(path: string): Promise<DumpBlock[]> {
  await assertPlainFormat(path);
  const blocks: DumpBlock[] = [];
  let open:
    | { schema: string; table: string; columns: string[]; line: number; dataStart: number; rows: number }
    | undefined;
  for await (const line of readLines(path)) {
    if (open) {
      if (line.text === '\\.') {
        blocks.push({ ...open, dataEnd: line.start });
        open = undefined;
      } else {
        open.rows++;
      }
      continue;
    }
    if (!/^COPY\s/i.test(line.text)) continue;
    const match = COPY_HEADER.exec(line.text);
    if (!match) {
      throw new DumpFormatError(
        `Line ${line.number} of ${path} is a COPY statement this importer cannot read: expected ` +
          '`COPY public.<table> (<columns>) FROM stdin;` as pg_dump writes it.',
      );
    }
    if (match[5] === undefined) {
      throw new DumpFormatError(
        `Line ${line.number} of ${path}: the COPY of ${match[4]} has no column list; dump with pg_dump, which writes one.`,
      );
    }
    const columns = match[5].split(',').map((column) => column.trim().replace(/^"(.*)"$/, '$1'));
    open = {
      schema: match[2] ?? 'public',
      table: match[4] as string,
      columns,
      line: line.number,
      dataStart: line.end,
      rows: 0,
    };
  }
  if (open) {
    throw new DumpFormatError(
      `The COPY block of ${open.table} starting at line ${open.line} of ${path} never ends (no \\. line): ` +
        'the dump is truncated.',
    );
  }
  return blocks;
}
