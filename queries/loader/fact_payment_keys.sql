-- fact_payment's key span in (prev_cut, cut]: its lowest and highest key and its versions (copies from at-least-once
-- delivery included), from which the loader plans the key ranges it reads the window in (loader/key-ranges.ts).
-- parameters: dt_from, prev_cut, cut
SELECT min(payment_id) AS key_min, max(payment_id) AS key_max, count(*) AS versions
FROM fact_payment
WHERE dt >= CAST(? AS date)
  AND _lsn > CAST(? AS bigint)
  AND _lsn <= CAST(? AS bigint)
  AND _op IN ('c', 'u', 'r', 'd')
