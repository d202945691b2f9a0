-- fact_purchase_order: every committed version of each order in (prev_cut, cut], one row per (key, _lsn, _seq).
-- Deletes (_op = 'd', only the key set) are read too: the warehouse records them beside the history it keeps.
-- Read a key range at a time (key_from to key_to, both included; loader/key-ranges.ts), each sorted alone.
-- parameters: dt_from, prev_cut, cut, key_from, key_to
SELECT purchase_order_id, created_date, created_time, last_updated_date, last_updated_time, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id, _op, _lsn, _seq, _commit_ts, _unchanged
FROM (
  SELECT purchase_order_id, created_date, created_time, last_updated_date, last_updated_time, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id, _op, _lsn, _seq, _commit_ts, _unchanged,
    row_number() OVER (PARTITION BY purchase_order_id, _lsn, _seq ORDER BY _op) AS copy_rank
  FROM fact_purchase_order
  WHERE dt >= CAST(? AS date)
    AND _lsn > CAST(? AS bigint)
    AND _lsn <= CAST(? AS bigint)
    AND purchase_order_id >= CAST(? AS bigint)
    AND purchase_order_id <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
) AS versions
WHERE copy_rank = 1
ORDER BY purchase_order_id, _lsn, _seq
