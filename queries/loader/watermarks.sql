-- The newest watermark in each partition the pending watermark rounds name (the reader's round log says which
-- partitions received changes; a watermark proves only the partition it landed in). Each lake table is read
-- only over the days its pending rounds name; a table they do not name is given a day range before any
-- partition (1970-01-01), so no object of it is opened. Only watermarks above the previous cut matter.
-- parameters: dt_from_fact_sales_order, dt_to_fact_sales_order, prev_cut, dt_from_fact_purchase_order, dt_to_fact_purchase_order, prev_cut, dt_from_fact_payment, dt_to_fact_payment, prev_cut, dt_from_dim_transaction, dt_to_dim_transaction, prev_cut, dt_from_dim_location, dt_to_dim_location, prev_cut, dt_from_dim_design, dt_to_dim_design, prev_cut, dt_from_dim_payment_type, dt_to_dim_payment_type, prev_cut, dt_from_dim_currency, dt_to_dim_currency, prev_cut, dt_from_dim_staff, dt_to_dim_staff, prev_cut, dt_from_dim_counterparty, dt_to_dim_counterparty, prev_cut, dt_from_department, dt_to_department, prev_cut
SELECT lake_table, CAST(dt AS varchar) AS dt, max(_lsn) AS watermark_lsn
FROM (
  SELECT 'fact_sales_order' AS lake_table, dt, _lsn FROM fact_sales_order
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_purchase_order' AS lake_table, dt, _lsn FROM fact_purchase_order
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_payment' AS lake_table, dt, _lsn FROM fact_payment
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_transaction' AS lake_table, dt, _lsn FROM dim_transaction
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_location' AS lake_table, dt, _lsn FROM dim_location
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_design' AS lake_table, dt, _lsn FROM dim_design
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_payment_type' AS lake_table, dt, _lsn FROM dim_payment_type
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_currency' AS lake_table, dt, _lsn FROM dim_currency
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_staff' AS lake_table, dt, _lsn FROM dim_staff
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_counterparty' AS lake_table, dt, _lsn FROM dim_counterparty
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
  UNION ALL
  SELECT 'department' AS lake_table, dt, _lsn FROM department
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op = 'w' AND _lsn > CAST(? AS bigint)
) AS watermarks
GROUP BY lake_table, dt
ORDER BY lake_table, dt
