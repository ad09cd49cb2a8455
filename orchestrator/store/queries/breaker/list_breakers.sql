-- The first 1000 breakers by key, as BreakerStore's RecordFrom reads them.
SELECT key, state, failures, baton_us(window_start) AS window_start_us,
  baton_us(open_until) AS open_until_us, coalesce(probe_task_run_id, 0) AS probe_task_run_id,
  spec::text AS spec, baton_us(updated_at) AS updated_at_us
FROM circuit_breakers ORDER BY key LIMIT 1000
