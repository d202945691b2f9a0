-- Overdue payments: every current payment still unpaid after its payment date, oldest first.
SELECT payment_id, counterparty_id, payment_amount, currency_id, payment_date,
  date_diff('day', payment_date, current_date) AS days_overdue
FROM fact_payment_latest
WHERE NOT paid AND payment_date < current_date
ORDER BY payment_date, payment_id
