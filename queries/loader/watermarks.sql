-- The newest watermark of each lake table: the LSN up to which its stream delivered everything, and when it
-- was emitted; and the LSN of its newest change, so the loader skips tables with nothing new. Only rows at or
-- after the previous cut are read (Parquet min/max statistics on _lsn skip older files). "At" matters: the
-- table that holds the cut has its newest watermark exactly at it, and a stalled stream must still report
-- that watermark's emit time so its lake lag keeps growing; a row at the cut cannot move the cut.
-- parameters: dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut, dt_from, prev_cut
SELECT lake_table,
  max(CASE WHEN _op = 'w' THEN _lsn END) AS watermark_lsn,
  max(CASE WHEN _op = 'w' THEN _commit_ts END) AS emitted_at,
  max(CASE WHEN _op <> 'w' THEN _lsn END) AS newest_change_lsn
FROM (
  SELECT 'fact_sales_order' AS lake_table, _op, _lsn, _commit_ts FROM fact_sales_order WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_purchase_order' AS lake_table, _op, _lsn, _commit_ts FROM fact_purchase_order WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_payment' AS lake_table, _op, _lsn, _commit_ts FROM fact_payment WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_transaction' AS lake_table, _op, _lsn, _commit_ts FROM dim_transaction WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_location' AS lake_table, _op, _lsn, _commit_ts FROM dim_location WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_design' AS lake_table, _op, _lsn, _commit_ts FROM dim_design WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_payment_type' AS lake_table, _op, _lsn, _commit_ts FROM dim_payment_type WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_currency' AS lake_table, _op, _lsn, _commit_ts FROM dim_currency WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_staff' AS lake_table, _op, _lsn, _commit_ts FROM dim_staff WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_counterparty' AS lake_table, _op, _lsn, _commit_ts FROM dim_counterparty WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
  UNION ALL
  SELECT 'department' AS lake_table, _op, _lsn, _commit_ts FROM department WHERE dt >= CAST(? AS date) AND _lsn >= CAST(? AS bigint)
) AS watermarks
GROUP BY lake_table
ORDER BY lake_table
