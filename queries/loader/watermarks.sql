-- The newest watermark of each lake table: the LSN up to which its stream delivered everything, and when it
-- was emitted. A table with no watermark yet has no row (and blocks the cut).
-- parameters: dt_from, dt_from, dt_from, dt_from, dt_from, dt_from, dt_from, dt_from, dt_from, dt_from, dt_from
SELECT lake_table, max(_lsn) AS watermark_lsn, max(_commit_ts) AS emitted_at
FROM (
  SELECT 'fact_sales_order' AS lake_table, _lsn, _commit_ts FROM fact_sales_order WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'fact_purchase_order' AS lake_table, _lsn, _commit_ts FROM fact_purchase_order WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'fact_payment' AS lake_table, _lsn, _commit_ts FROM fact_payment WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_transaction' AS lake_table, _lsn, _commit_ts FROM dim_transaction WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_location' AS lake_table, _lsn, _commit_ts FROM dim_location WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_design' AS lake_table, _lsn, _commit_ts FROM dim_design WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_payment_type' AS lake_table, _lsn, _commit_ts FROM dim_payment_type WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_currency' AS lake_table, _lsn, _commit_ts FROM dim_currency WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_staff' AS lake_table, _lsn, _commit_ts FROM dim_staff WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'dim_counterparty' AS lake_table, _lsn, _commit_ts FROM dim_counterparty WHERE _op = 'w' AND dt >= CAST(? AS date)
  UNION ALL
  SELECT 'department' AS lake_table, _lsn, _commit_ts FROM department WHERE _op = 'w' AND dt >= CAST(? AS date)
) AS watermarks
GROUP BY lake_table
ORDER BY lake_table
