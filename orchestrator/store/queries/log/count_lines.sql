-- Adds $3 lines, $4 bytes and $5 dropped lines to the counters of attempt $2
-- of task run $1, fenced by its token $6 and worker $7.
UPDATE attempts SET log_lines = log_lines + $3, log_bytes = log_bytes + $4,
  log_dropped = log_dropped + $5
WHERE task_run_id = $1 AND number = $2
  AND lease_token::text = $6 AND worker_id::text = $7
