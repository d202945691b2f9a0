-- Sales by month in GBP: every current sales order at the GBP rate of its created date (the latest earlier
-- fixing on a day without one; README, "Market data"), summed per month, with the orders still without a rate
-- counted apart. A real publisher's fixing wins over the synthetic market's on the same day. DuckDB divides
-- decimals in double precision; the warehouse's sales_order_gbp view is exact to the penny.
WITH orders AS (
  SELECT o.sales_order_id, o.created_date, c.currency_code, o.units_sold * o.unit_price AS amount
  FROM fact_sales_order_latest AS o
  JOIN dim_currency_latest AS c ON c.currency_id = o.currency_id
),
rates AS (
  SELECT quote_currency, rate_date, rate,
    row_number() OVER (
      PARTITION BY quote_currency, rate_date
      ORDER BY CASE WHEN source = 'synthetic' THEN 1 ELSE 0 END, source
    ) AS preference
  FROM fx_rate_latest
  WHERE base_currency = 'GBP'
),
in_force AS (
  SELECT orders.sales_order_id, max(rates.rate_date) AS rate_date
  FROM orders
  JOIN rates ON rates.quote_currency = orders.currency_code AND rates.rate_date <= orders.created_date
  WHERE rates.preference = 1
  GROUP BY orders.sales_order_id
),
priced AS (
  SELECT orders.created_date,
    CASE WHEN orders.currency_code = 'GBP' THEN orders.amount ELSE round(orders.amount / rates.rate, 2) END
      AS amount_gbp
  FROM orders
  LEFT JOIN in_force ON in_force.sales_order_id = orders.sales_order_id
  LEFT JOIN rates
    ON rates.quote_currency = orders.currency_code AND rates.rate_date = in_force.rate_date
    AND rates.preference = 1
)
SELECT date_trunc('month', created_date) AS sales_month, count(*) AS orders,
  sum(amount_gbp) AS sales_value_gbp,
  sum(CASE WHEN amount_gbp IS NULL THEN 1 ELSE 0 END) AS orders_without_rate
FROM priced
GROUP BY date_trunc('month', created_date)
ORDER BY sales_month
