-- Ends run $1 (uuid) if still in state $5: state $2, result $3 (jsonb),
-- error $4 ('' for none).
UPDATE flow_runs SET state = $2, result = $3::jsonb, error = nullif($4, ''),
  ended_at = now()
WHERE id = $1::uuid AND state = $5
