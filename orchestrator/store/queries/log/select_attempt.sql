-- Attempt $2 of task run $1 if it was leased with token $3 to worker $4:
-- its run and log counters. Fenced by worker and token, not by state: an
-- ended attempt's lines count.
SELECT t.run_id::text AS run_id, a.log_lines, a.log_bytes, a.log_dropped
FROM attempts a JOIN task_runs t ON t.id = a.task_run_id
WHERE a.task_run_id = $1 AND a.number = $2 AND a.lease_token::text = $3
  AND a.worker_id::text = $4
