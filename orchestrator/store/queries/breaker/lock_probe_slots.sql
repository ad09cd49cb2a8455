-- Locks (SKIP LOCKED) the breakers whose cooldown passed (OPEN) or that wait
-- for a probe (HALF_OPEN without one), as BreakerFromRow reads them.
SELECT key, state, failures, baton_us(window_start) AS window_start_us,
  baton_us(open_until) AS open_until_us, coalesce(probe_task_run_id, 0) AS probe_task_run_id
FROM circuit_breakers
WHERE (state = 'OPEN' AND open_until <= now())
   OR (state = 'HALF_OPEN' AND probe_task_run_id IS NULL)
FOR UPDATE SKIP LOCKED
