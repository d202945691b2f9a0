-- Top 20 counterparties by sales value (every current sales order), with their legal name.
SELECT o.counterparty_id, c.counterparty_legal_name, count(*) AS orders,
  sum(o.units_sold * o.unit_price) AS sales_value
FROM fact_sales_order_latest AS o
LEFT JOIN dim_counterparty_latest AS c ON c.counterparty_id = o.counterparty_id
GROUP BY o.counterparty_id, c.counterparty_legal_name
ORDER BY sales_value DESC, o.counterparty_id
LIMIT 20
