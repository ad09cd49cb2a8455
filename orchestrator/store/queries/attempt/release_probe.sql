-- An undelivered half-open probe (task run $2 of breaker $1) never ran: the
-- breaker waits for another.
UPDATE circuit_breakers SET probe_task_run_id = NULL, updated_at = now()
WHERE key = $1 AND state = 'HALF_OPEN' AND probe_task_run_id = $2
