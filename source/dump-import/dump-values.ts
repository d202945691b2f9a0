/**
 * @module
 * Turns a value of the totesys dump into what the live column accepts, coping with the dump's quirks:
 * the string 'NULL' for NULL (only in nullable columns), integer ids written as floats ('2.0'), and
 * numeric values checked against `numeric(10,2)`.
 */
import { SOURCE_ENUMS, type SourceColumn } from '../../core/schema/source-tables.ts';

/** A value cannot go into its column; the message names the table, column, line and what to fix. */
export class DumpValueError extends Error {
  override readonly name = 'DumpValueError';
}

/** Where a value came from, for error messages. */
export interface ValueOrigin {
  readonly table: string;
  readonly line: number;
}

const INTEGER = /^-?\d+(?:\.0*)?$/;
const NUMERIC = /^-?(\d+)(?:\.(\d*))?$/;

/** The value to load for `raw` (a decoded COPY field) in `column`. */
export function convertDumpValue(
  raw: string | null,
  column: SourceColumn,
  origin: ValueOrigin,
): string | null {
  if (raw === null) return null;
  if (raw === 'NULL' && column.nullable) return null;
  const where = `${origin.table}.${column.name} at dump line ${origin.line}`;
  switch (column.type) {
    case 'integer': {
      if (!INTEGER.test(raw)) {
        throw new DumpValueError(
          `${where} is ${describe(raw)}, not a whole number; fix that row of the dump.`,
        );
      }
      const whole = raw.split('.')[0] as string;
      const value = Number(whole);
      if (!Number.isSafeInteger(value) || value > 2_147_483_647 || value < -2_147_483_648) {
        throw new DumpValueError(
          `${where} is ${describe(raw)}, outside the integer range; fix that row of the dump.`,
        );
      }
      return String(value);
    }
    case 'numeric(10,2)': {
      const match = NUMERIC.exec(raw);
      if (!match)
        throw new DumpValueError(`${where} is ${describe(raw)}, not a number; fix that row of the dump.`);
      const decimals = (match[2] ?? '').replace(/0+$/, '');
      if (decimals.length > 2) {
        throw new DumpValueError(
          `${where} has more than 2 decimals (${describe(raw)}); the column is numeric(10,2) and rounding ` +
            'money silently is not safe. Round it in the dump first.',
        );
      }
      if ((match[1] as string).replace(/^0+/, '').length > 8) {
        throw new DumpValueError(
          `${where} (${describe(raw)}) does not fit numeric(10,2); fix that row of the dump.`,
        );
      }
      return raw;
    }
    case '"PaymentTypeName"':
    case '"TransactionType"': {
      const labels: readonly string[] =
        column.type === '"PaymentTypeName"' ? SOURCE_ENUMS.PaymentTypeName : SOURCE_ENUMS.TransactionType;
      if (!labels.includes(raw)) {
        throw new DumpValueError(`${where} is ${describe(raw)}, not one of ${labels.join(', ')}.`);
      }
      return raw;
    }
    default:
      return raw;
  }
}

/** A short, safe description of a bad value (numbers are shown; other text only by its length). */
function describe(raw: string): string {
  return /^[-\d.eE+]{1,30}$/.test(raw) ? `'${raw}'` : `a ${raw.length}-character text`;
}
