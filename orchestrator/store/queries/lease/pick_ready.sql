-- %PICK% of lease_picked.sql: ready tasks the worker serves (%SERVED_BY% is
-- served_by.sql), oldest first, at most $2, except those behind a circuit
-- breaker that is not closed (they wait for a probe, or are short-circuited
-- to their fallback by the timers).
SELECT id FROM task_runs WHERE %SERVED_BY%
  AND (breaker_key IS NULL OR breaker_key IN
    (SELECT key FROM circuit_breakers WHERE state = 'CLOSED'))
ORDER BY ready_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
