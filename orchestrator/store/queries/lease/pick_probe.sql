-- %PICK% of lease_picked.sql: one ready task the worker serves (%SERVED_BY%
-- is served_by.sql) behind breaker $5, to be its half-open probe; none when
-- the worker has no free slot ($2).
SELECT id FROM task_runs WHERE %SERVED_BY%
  AND breaker_key = $5 AND $2 > 0
ORDER BY ready_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
