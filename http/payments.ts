/**
 * @module
 * The finance department's two questions (README "The payments API"): the five payments most recently due on
 * or before today, and the five due next after today. Read from `public.current_payment` (each payment once, at
 * its latest loaded version, deleted payments left out) joined to its currency, counterparty and payment type.
 */
import type pg from 'pg';

/** One payment as the API returns it. */
export interface PaymentItem {
  readonly payment_id: number;
  /** `YYYY-MM-DD`. */
  readonly payment_date: string;
  /** The exact decimal, as text (`"1234.50"`). */
  readonly amount: string;
  /** ISO 4217 code. */
  readonly currency: string;
  /** The counterparty's legal name. */
  readonly counterparty: string;
  readonly paid: boolean;
  readonly payment_type: string;
}

/**
 * Which five: `last5` are the latest `payment_date` on or before today, newest first; `next5` the earliest
 * after today, soonest first.
 */
export type PaymentWindow = 'last5' | 'next5';

/**
 * Both answers are ends of one order, (`payment_date`, `payment_id`): `next5` its first five rows after
 * today, `last5` its last five on or before today, read backwards. So a tie on the date is broken by
 * `payment_id`, ascending in `next5` and descending in `last5`.
 */
const ORDER: Readonly<Record<PaymentWindow, { where: string; order: string }>> = {
  last5: { where: 'p.payment_date <= $1::date', order: 'p.payment_date DESC, p.payment_id DESC' },
  next5: { where: 'p.payment_date > $1::date', order: 'p.payment_date ASC, p.payment_id ASC' },
};

/** The five payments of `window` as of `today` (UTC `YYYY-MM-DD`). */
export async function readPayments(
  client: pg.ClientBase,
  window: PaymentWindow,
  today: string,
): Promise<PaymentItem[]> {
  const { where, order } = ORDER[window];
  const result = await client.query<PaymentItem>(
    `SELECT p.payment_id, p.payment_date::text AS payment_date, p.payment_amount::text AS amount,
            c.currency_code AS currency, cp.counterparty_legal_name AS counterparty, p.paid,
            t.payment_type_name AS payment_type
       FROM public.current_payment AS p
       JOIN public.dim_currency AS c ON c.currency_id = p.currency_id
       JOIN public.dim_counterparty AS cp ON cp.counterparty_id = p.counterparty_id
       JOIN public.dim_payment_type AS t ON t.payment_type_id = p.payment_type_id
      WHERE ${where}
      ORDER BY ${order}
      LIMIT 5`,
    [today],
  );
  return result.rows;
}

/** Today's date in UTC, `YYYY-MM-DD`. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}
