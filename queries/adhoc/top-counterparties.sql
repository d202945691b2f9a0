-- Top 20 counterparties by sales value (latest version of every sales order), with their legal name.
WITH latest_order AS (
  SELECT sales_order_id, counterparty_id, units_sold, unit_price, _op,
    row_number() OVER (PARTITION BY sales_order_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM fact_sales_order
  WHERE _op IN ('c', 'u', 'r', 'd')
),
latest_counterparty AS (
  SELECT counterparty_id, counterparty_legal_name,
    row_number() OVER (PARTITION BY counterparty_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM dim_counterparty
  WHERE _op IN ('c', 'u', 'r')
)
SELECT o.counterparty_id, c.counterparty_legal_name, count(*) AS orders,
  sum(o.units_sold * o.unit_price) AS sales_value
FROM latest_order AS o
LEFT JOIN latest_counterparty AS c ON c.counterparty_id = o.counterparty_id AND c.version_rank = 1
WHERE o.version_rank = 1 AND o._op <> 'd'
GROUP BY o.counterparty_id, c.counterparty_legal_name
ORDER BY sales_value DESC, o.counterparty_id
LIMIT 20
