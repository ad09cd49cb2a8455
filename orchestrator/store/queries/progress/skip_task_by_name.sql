-- Skips (error $3) run $1's (uuid) task $2 if PENDING; returns its id.
UPDATE task_runs SET state = 'SKIPPED', ended_at = now(), error = $3
WHERE run_id = $1::uuid AND name = $2 AND state = 'PENDING' RETURNING id
