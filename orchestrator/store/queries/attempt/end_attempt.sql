-- Ends RUNNING attempt $2 of task run $1: state $3, error $4 and error type
-- $5 ('' for none), decision $6, and when retried the delay $7, its base
-- $8 (ms) and jitter sample $9 (NULL otherwise).
UPDATE attempts SET state = $3, ended_at = now(), error = nullif($4, ''),
  error_type = nullif($5, ''), decision = $6, retry_delay_ms = $7,
  retry_base_delay_ms = $8, jitter_sample = $9
WHERE task_run_id = $1 AND number = $2 AND state = 'RUNNING'
