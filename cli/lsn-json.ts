/**
 * @module
 * How `--json` output says which LSN form it uses: every LSN a command prints is in PostgreSQL's `X/Y` form
 * (`0/1A2B3C8`, two hex halves, as `pg_current_wal_lsn()` prints it), and the object says so in
 * {@link LSN_FORMAT_FIELD} (README, Commands).
 */

/** The field naming the LSN form of a `--json` object. */
export const LSN_FORMAT_FIELD = 'lsnFormat';

/** `value` as `--json` prints it, with the LSN form named first. */
export function jsonWithLsnFormat(value: object): string {
  return JSON.stringify({ [LSN_FORMAT_FIELD]: 'X/Y', ...value }, null, 2);
}
