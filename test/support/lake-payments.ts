/**
 * @module
 * fact_payment lake rows for the lake's contract suites: one version of a payment with the edge values
 * lossless reads must keep (cents at the decimal's limit, a timestamp's milliseconds, a NULL date).
 */
import type { LakeRow } from '../../lake/lake-value.ts';

/** The commit time of every version: the last millisecond of 2026-11-30 (UTC). */
export const PAYMENT_COMMIT_MS = Date.UTC(2026, 10, 30, 23, 59, 59, 999);

/** Version `lsn` of payment `id` (`_op` `op`); the amount is 99 999 999.99 less `id` cents. */
export function paymentVersion(id: number, lsn: bigint, op = 'c'): LakeRow {
  return {
    payment_id: id,
    created_date: '2026-11-30',
    created_time: '14:20:52.186',
    last_updated_date: '2026-11-30',
    last_updated: '14:20:52.186',
    transaction_id: id,
    counterparty_id: 15,
    payment_amount: 99999999_99n - BigInt(id),
    currency_id: 2,
    payment_type_id: 3,
    paid: id % 2 === 0,
    payment_date: id % 3 === 0 ? null : '2026-12-01',
    _op: op,
    _lsn: lsn,
    _seq: id,
    _xid: 1000n + lsn,
    _commit_ts: BigInt(PAYMENT_COMMIT_MS),
    _unchanged: null,
  };
}
