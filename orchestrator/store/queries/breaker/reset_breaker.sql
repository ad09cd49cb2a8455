-- Closes breaker $1 and forgets its failures; returns it as BreakerStore's
-- RecordFrom reads it, no row when there is no such breaker.
UPDATE circuit_breakers SET state = 'CLOSED', failures = 0, window_start = NULL,
  open_until = NULL, probe_task_run_id = NULL, updated_at = now()
WHERE key = $1
RETURNING key, state, failures, baton_us(window_start) AS window_start_us,
  baton_us(open_until) AS open_until_us, coalesce(probe_task_run_id, 0) AS probe_task_run_id,
  spec::text AS spec, baton_us(updated_at) AS updated_at_us
