-- Overdue payments: the latest version of every payment still unpaid after its payment date, oldest first.
WITH latest_payment AS (
  SELECT payment_id, counterparty_id, payment_amount, currency_id, payment_date, paid, _op,
    row_number() OVER (PARTITION BY payment_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM fact_payment
  WHERE _op IN ('c', 'u', 'r', 'd')
)
SELECT payment_id, counterparty_id, payment_amount, currency_id, payment_date,
  date_diff('day', payment_date, current_date) AS days_overdue
FROM latest_payment
WHERE version_rank = 1 AND _op <> 'd' AND NOT paid AND payment_date < current_date
ORDER BY payment_date, payment_id
