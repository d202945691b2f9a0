/**
 * @module
 * PostgreSQL log sequence numbers as 64-bit integers.
 *
 * PostgreSQL prints an LSN as two hex halves (`16/B374D848`), and pg-logical-replication pads them
 * (`00000016/B374D848`). Neither form sorts correctly as a string, so every comparison in the project goes
 * through `bigint`. Change events carry the LSN as a decimal string of the 64-bit value, which sorts as a
 * number in SQL once cast to `decimal(20,0)`.
 */

/** An LSN held as an unsigned 64-bit integer. */
export type Lsn = bigint;

/** The LSN before any WAL: PostgreSQL's `0/0`. */
export const ZERO_LSN: Lsn = 0n;

const MAX_LSN = (1n << 64n) - 1n;

/**
 * Parses an LSN in PostgreSQL's `X/Y` form (padded or not) or as a decimal string.
 *
 * @example
 * parseLsn('0/17A46C8') === parseLsn('00000000/017A46C8'); // true
 */
export function parseLsn(text: string): Lsn {
  const slash = text.indexOf('/');
  let value: bigint;
  if (slash >= 0) {
    const high = text.slice(0, slash);
    const low = text.slice(slash + 1);
    if (!/^[0-9A-Fa-f]{1,8}$/.test(high) || !/^[0-9A-Fa-f]{1,8}$/.test(low)) {
      throw new RangeError(`Invalid LSN "${text}": expected two hex halves such as 16/B374D848.`);
    }
    value = (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
  } else {
    if (!/^[0-9]{1,20}$/.test(text)) {
      throw new RangeError(`Invalid LSN "${text}": expected X/Y hex or a decimal 64-bit integer.`);
    }
    value = BigInt(text);
  }
  if (value > MAX_LSN) throw new RangeError(`Invalid LSN "${text}": larger than 64 bits.`);
  return value;
}

/** Formats an LSN the way PostgreSQL prints it (`16/B374D848`), for SQL such as `pg_replication_slot_advance`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The decimal string form that change events and lake rows carry. */
export function lsnToDecimal(lsn: Lsn): string {
  return lsn.toString(10);
}

/** Orders two LSNs: negative, zero or positive, as `Array.prototype.sort` expects. */
export function compareLsn(a: Lsn, b: Lsn): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The larger of two LSNs. */
export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a > b ? a : b;
}

/** The smaller of two LSNs. */
export function minLsn(a: Lsn, b: Lsn): Lsn {
  return a < b ? a : b;
}
