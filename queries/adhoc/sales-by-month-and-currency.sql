-- Sales by month and currency: units and value of every current sales order, by the month the order was
-- created and its currency.
SELECT date_trunc('month', o.created_date) AS sales_month, c.currency_code,
  count(*) AS orders, sum(o.units_sold) AS units_sold, sum(o.units_sold * o.unit_price) AS sales_value
FROM fact_sales_order_latest AS o
LEFT JOIN dim_currency_latest AS c ON c.currency_id = o.currency_id
GROUP BY date_trunc('month', o.created_date), c.currency_code
ORDER BY sales_month, c.currency_code
