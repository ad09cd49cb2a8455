-- Locks breaker $1, as BreakerFromRow reads it.
SELECT key, state, failures, baton_us(window_start) AS window_start_us,
  baton_us(open_until) AS open_until_us, coalesce(probe_task_run_id, 0) AS probe_task_run_id
FROM circuit_breakers WHERE key = $1 FOR UPDATE
