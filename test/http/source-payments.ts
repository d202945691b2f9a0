/**
 * @module
 * The payments API's questions asked of the SOURCE, independently of the warehouse and of http/payments.ts:
 * what `last5` and `next5` must answer, and a day to ask them on.
 */
import type pg from 'pg';
import type { PaymentItem } from '../../http/payments.ts';
import { withClient } from '../support/test-databases.ts';

/**
 * The answer computed on the SOURCE, independently of the warehouse: the current rows of `payment` (deleted
 * ones are gone, updated ones hold their last values), its text dates compared as dates.
 */
export async function sourcePayments(client: pg.ClientBase, window: 'last5' | 'next5', today: string) {
  const [where, order] =
    window === 'last5'
      ? ['p.payment_date::date <= $1::date', 'p.payment_date::date DESC, p.payment_id DESC']
      : ['p.payment_date::date > $1::date', 'p.payment_date::date, p.payment_id'];
  const result = await client.query<PaymentItem>(
    `SELECT p.payment_id, p.payment_date, p.payment_amount::text AS amount, c.currency_code AS currency,
            cp.counterparty_legal_name AS counterparty, p.paid, t.payment_type_name::text AS payment_type
       FROM payment AS p JOIN currency AS c USING (currency_id) JOIN counterparty AS cp USING (counterparty_id)
       JOIN payment_type AS t USING (payment_type_id)
      WHERE ${where} ORDER BY ${order} LIMIT 5`,
    [today],
  );
  return result.rows;
}

/** A day of the seeded data with several payments, so both answers are full and ties on the date occur. */
export async function busiestPaymentDay(sourceUrl: string): Promise<string> {
  return withClient(sourceUrl, async (client) => {
    const result = await client.query<{ day: string }>(
      `SELECT payment_date AS day FROM payment GROUP BY 1 HAVING count(*) > 1
        ORDER BY count(*) DESC, 1 LIMIT 1 OFFSET 3`,
    );
    return result.rows[0]?.day as string;
  });
}
