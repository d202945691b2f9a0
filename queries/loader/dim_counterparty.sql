-- dim_counterparty as of the cut: every counterparty whose own row or whose legal address changed in
-- (prev_cut, cut], with the latest counterparty version at or below the cut joined to the latest version of its
-- legal address (lake table dim_location) at or below it, so an address change reaches the counterparty. The
-- as-of lookups read each table's state snapshot (compaction's, at or below the cut) plus its changes after the
-- snapshot up to the cut, never the whole history; without a snapshot (snapshot 'none', from 1970-01-01, above
-- -1) they read every version.
-- parameters: snapshot_dim_counterparty, snapshot_from_dim_counterparty, snapshot_lsn_dim_counterparty, cut, snapshot_dim_location, snapshot_from_dim_location, snapshot_lsn_dim_location, cut, dt_from, prev_cut, cut, dt_from, prev_cut, cut
WITH counterparty_versions AS (
  SELECT counterparty_id, counterparty_legal_name, legal_address_id, _op, _lsn, _seq, _commit_ts, _unchanged
  FROM dim_counterparty_snapshot
  WHERE snapshot_lsn = ?
  UNION ALL
  SELECT counterparty_id, counterparty_legal_name, legal_address_id, _op, _lsn, _seq, _commit_ts, _unchanged
  FROM dim_counterparty
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
address_versions AS (
  SELECT location_id, address_line_1, address_line_2, district, city, postal_code, country, phone, _op, _lsn, _seq
  FROM dim_location_snapshot
  WHERE snapshot_lsn = ?
  UNION ALL
  SELECT location_id, address_line_1, address_line_2, district, city, postal_code, country, phone, _op, _lsn, _seq
  FROM dim_location
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
counterparty_as_of AS (
  SELECT counterparty_id, counterparty_legal_name, legal_address_id, _op, _lsn, _seq, _commit_ts, _unchanged,
    row_number() OVER (PARTITION BY counterparty_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM counterparty_versions
),
address_as_of AS (
  SELECT location_id, address_line_1, address_line_2, district, city, postal_code, country, phone, _op,
    row_number() OVER (PARTITION BY location_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM address_versions
),
changed_counterparty AS (
  SELECT DISTINCT counterparty_id
  FROM dim_counterparty
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
changed_address AS (
  SELECT DISTINCT location_id
  FROM dim_location
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
)
SELECT c.counterparty_id, c.counterparty_legal_name,
  a.address_line_1 AS counterparty_legal_address_line_1,
  a.address_line_2 AS counterparty_legal_address_line_2,
  a.district AS counterparty_legal_district,
  a.city AS counterparty_legal_city,
  a.postal_code AS counterparty_legal_postal_code,
  a.country AS counterparty_legal_country,
  a.phone AS counterparty_legal_phone_number,
  c._op, c._lsn, c._seq, c._commit_ts, c._unchanged
FROM counterparty_as_of AS c
LEFT JOIN address_as_of AS a
  ON a.location_id = c.legal_address_id AND a.version_rank = 1 AND a._op <> 'd'
WHERE c.version_rank = 1
  AND (
    c.counterparty_id IN (SELECT counterparty_id FROM changed_counterparty)
    OR c.legal_address_id IN (SELECT location_id FROM changed_address)
  )
ORDER BY c.counterparty_id
