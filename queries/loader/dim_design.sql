-- dim_design: the latest version of each design_id changed in (prev_cut, cut], deletes included (_op = 'd').
-- Duplicates from at-least-once delivery share (key, _lsn, _seq) and collapse in the ranking.
-- parameters: dt_from, prev_cut, cut
SELECT design_id, design_name, file_location, file_name, _op, _lsn, _seq, _commit_ts, _unchanged
FROM (
  SELECT design_id, design_name, file_location, file_name, _op, _lsn, _seq, _commit_ts, _unchanged,
    row_number() OVER (PARTITION BY design_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM dim_design
  WHERE dt >= CAST(? AS date)
    AND _lsn > CAST(? AS bigint)
    AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
) AS versions
WHERE version_rank = 1
ORDER BY design_id
