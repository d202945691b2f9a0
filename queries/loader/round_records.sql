-- round_records: how many distinct changes (by LSN and position) each partition the rounds between the previous
-- cut and the new one name holds, per commit LSN, so the loader can check that the lake holds at least what
-- each round says the reader put there (loader/round-records.ts). Each lake table is read only over the days
-- those rounds name (1970-01-01 for a table they do not name: no object of it is opened). Duplicates
-- (at-least-once delivery) are counted once.
-- parameters: dt_from_fact_sales_order, dt_to_fact_sales_order, prev_cut, cut, dt_from_fact_purchase_order, dt_to_fact_purchase_order, prev_cut, cut, dt_from_fact_payment, dt_to_fact_payment, prev_cut, cut, dt_from_dim_transaction, dt_to_dim_transaction, prev_cut, cut, dt_from_dim_location, dt_to_dim_location, prev_cut, cut, dt_from_dim_design, dt_to_dim_design, prev_cut, cut, dt_from_dim_payment_type, dt_to_dim_payment_type, prev_cut, cut, dt_from_dim_currency, dt_to_dim_currency, prev_cut, cut, dt_from_dim_staff, dt_to_dim_staff, prev_cut, cut, dt_from_dim_counterparty, dt_to_dim_counterparty, prev_cut, cut, dt_from_department, dt_to_department, prev_cut, cut
SELECT lake_table, CAST(dt AS varchar) AS dt, CAST(_lsn AS varchar) AS lsn, count(DISTINCT _seq) AS records
FROM (
  SELECT 'fact_sales_order' AS lake_table, dt, _lsn, _seq FROM fact_sales_order
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_purchase_order' AS lake_table, dt, _lsn, _seq FROM fact_purchase_order
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'fact_payment' AS lake_table, dt, _lsn, _seq FROM fact_payment
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_transaction' AS lake_table, dt, _lsn, _seq FROM dim_transaction
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_location' AS lake_table, dt, _lsn, _seq FROM dim_location
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_design' AS lake_table, dt, _lsn, _seq FROM dim_design
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_payment_type' AS lake_table, dt, _lsn, _seq FROM dim_payment_type
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_currency' AS lake_table, dt, _lsn, _seq FROM dim_currency
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_staff' AS lake_table, dt, _lsn, _seq FROM dim_staff
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'dim_counterparty' AS lake_table, dt, _lsn, _seq FROM dim_counterparty
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
  UNION ALL
  SELECT 'department' AS lake_table, dt, _lsn, _seq FROM department
  WHERE dt BETWEEN CAST(? AS date) AND CAST(? AS date) AND _op <> 'w'
    AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
) AS changes
GROUP BY lake_table, dt, _lsn
