-- Skips scheduled run $1 (uuid): CANCELLED with error $2.
UPDATE flow_runs SET state = 'CANCELLED', error = $2, ended_at = now()
WHERE id = $1::uuid AND state = 'SCHEDULED'
