-- Sales by month and currency: units and value of the latest version of every sales order, by the month the
-- order was created and its currency.
WITH latest_order AS (
  SELECT sales_order_id, created_date, units_sold, unit_price, currency_id, _op,
    row_number() OVER (PARTITION BY sales_order_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM fact_sales_order
  WHERE _op IN ('c', 'u', 'r', 'd')
),
latest_currency AS (
  SELECT currency_id, currency_code,
    row_number() OVER (PARTITION BY currency_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM dim_currency
  WHERE _op IN ('c', 'u', 'r')
)
SELECT date_trunc('month', o.created_date) AS sales_month, c.currency_code,
  count(*) AS orders, sum(o.units_sold) AS units_sold, sum(o.units_sold * o.unit_price) AS sales_value
FROM latest_order AS o
LEFT JOIN latest_currency AS c ON c.currency_id = o.currency_id AND c.version_rank = 1
WHERE o.version_rank = 1 AND o._op <> 'd'
GROUP BY date_trunc('month', o.created_date), c.currency_code
ORDER BY sales_month, c.currency_code
