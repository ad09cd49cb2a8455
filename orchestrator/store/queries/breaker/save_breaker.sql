-- Saves breaker $1: state $2, failures $3, window start $4 and end of
-- cooldown $5 (µs since the epoch, NULL for none), probe $6 (0 for none).
UPDATE circuit_breakers SET state = $2, failures = $3, window_start = to_timestamp($4 / 1e6),
  open_until = to_timestamp($5 / 1e6), probe_task_run_id = nullif($6, 0), updated_at = now()
WHERE key = $1
