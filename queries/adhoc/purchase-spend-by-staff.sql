-- Purchase spend by staff member: quantity times unit price over the latest version of every purchase order.
WITH latest_purchase AS (
  SELECT purchase_order_id, staff_id, item_quantity, item_unit_price, currency_id, _op,
    row_number() OVER (PARTITION BY purchase_order_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM fact_purchase_order
  WHERE _op IN ('c', 'u', 'r', 'd')
),
latest_staff AS (
  SELECT staff_id, first_name, last_name,
    row_number() OVER (PARTITION BY staff_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM dim_staff
  WHERE _op IN ('c', 'u', 'r')
)
SELECT p.staff_id, s.first_name, s.last_name, p.currency_id, count(*) AS purchase_orders,
  sum(p.item_quantity * p.item_unit_price) AS spend
FROM latest_purchase AS p
LEFT JOIN latest_staff AS s ON s.staff_id = p.staff_id AND s.version_rank = 1
WHERE p.version_rank = 1 AND p._op <> 'd'
GROUP BY p.staff_id, s.first_name, s.last_name, p.currency_id
ORDER BY spend DESC, p.staff_id
