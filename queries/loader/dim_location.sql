-- dim_location: the latest version of each location_id changed in (prev_cut, cut], deletes included (_op = 'd').
-- Duplicates from at-least-once delivery share (key, _lsn, _seq) and collapse in the ranking.
-- parameters: dt_from, prev_cut, cut
SELECT location_id, address_line_1, address_line_2, district, city, postal_code, country, phone, _op, _lsn, _seq, _commit_ts, _unchanged
FROM (
  SELECT location_id, address_line_1, address_line_2, district, city, postal_code, country, phone, _op, _lsn, _seq, _commit_ts, _unchanged,
    row_number() OVER (PARTITION BY location_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM dim_location
  WHERE dt >= CAST(? AS date)
    AND _lsn > CAST(? AS bigint)
    AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
) AS versions
WHERE version_rank = 1
ORDER BY location_id
