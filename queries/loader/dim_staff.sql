-- dim_staff as of the cut: every staff member whose own row or whose department changed in (prev_cut, cut],
-- with the latest staff version at or below the cut joined to the latest department version at or below it
-- (so a department rename reaches every member of the department). The as-of lookups read each table's state
-- snapshot (compaction's, at or below the cut) plus its changes after the snapshot up to the cut, never the
-- whole history; without a snapshot (snapshot 'none', from 1970-01-01, above -1) they read every version.
-- parameters: snapshot_dim_staff, snapshot_from_dim_staff, snapshot_lsn_dim_staff, cut, snapshot_department, snapshot_from_department, snapshot_lsn_department, cut, dt_from, prev_cut, cut, dt_from, prev_cut, cut
WITH staff_versions AS (
  SELECT staff_id, first_name, last_name, department_id, email_address, _op, _lsn, _seq, _commit_ts, _unchanged
  FROM dim_staff_snapshot
  WHERE snapshot_lsn = ?
  UNION ALL
  SELECT staff_id, first_name, last_name, department_id, email_address, _op, _lsn, _seq, _commit_ts, _unchanged
  FROM dim_staff
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
department_versions AS (
  SELECT department_id, department_name, location, _op, _lsn, _seq
  FROM department_snapshot
  WHERE snapshot_lsn = ?
  UNION ALL
  SELECT department_id, department_name, location, _op, _lsn, _seq
  FROM department
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
staff_as_of AS (
  SELECT staff_id, first_name, last_name, department_id, email_address, _op, _lsn, _seq, _commit_ts, _unchanged,
    row_number() OVER (PARTITION BY staff_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM staff_versions
),
department_as_of AS (
  SELECT department_id, department_name, location, _op,
    row_number() OVER (PARTITION BY department_id ORDER BY _lsn DESC, _seq DESC) AS version_rank
  FROM department_versions
),
changed_staff AS (
  SELECT DISTINCT staff_id
  FROM dim_staff
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
),
changed_department AS (
  SELECT DISTINCT department_id
  FROM department
  WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _lsn <= CAST(? AS bigint)
    AND _op IN ('c', 'u', 'r', 'd')
)
SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location, s.email_address,
  s._op, s._lsn, s._seq, s._commit_ts, s._unchanged
FROM staff_as_of AS s
LEFT JOIN department_as_of AS d
  ON d.department_id = s.department_id AND d.version_rank = 1 AND d._op <> 'd'
WHERE s.version_rank = 1
  AND (
    s.staff_id IN (SELECT staff_id FROM changed_staff)
    OR s.department_id IN (SELECT department_id FROM changed_department)
  )
ORDER BY s.staff_id
