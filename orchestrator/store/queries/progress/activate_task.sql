-- Makes run $1's (uuid) task $2 READY if PENDING, with resolution $3;
-- returns its id.
UPDATE task_runs SET state = 'READY', ready_at = now(), resolution = $3
WHERE run_id = $1::uuid AND name = $2 AND state = 'PENDING' RETURNING id
