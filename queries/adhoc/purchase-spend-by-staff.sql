-- Purchase spend by staff member: quantity times unit price over every current purchase order.
SELECT p.staff_id, s.first_name, s.last_name, p.currency_id, count(*) AS purchase_orders,
  sum(p.item_quantity * p.item_unit_price) AS spend
FROM fact_purchase_order_latest AS p
LEFT JOIN dim_staff_latest AS s ON s.staff_id = p.staff_id
GROUP BY p.staff_id, s.first_name, s.last_name, p.currency_id
ORDER BY spend DESC, p.staff_id
