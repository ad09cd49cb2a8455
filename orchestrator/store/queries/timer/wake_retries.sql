-- Makes at most $1 task runs whose retry delay is over READY again, the
-- longest waiting first (SKIP LOCKED). Returns each one's id, run and attempt.
WITH due AS (
  SELECT id FROM task_runs WHERE state = 'AWAITING_RETRY' AND not_before <= now()
  ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED
)
UPDATE task_runs t SET state = 'READY', ready_at = now(), not_before = NULL
FROM due WHERE t.id = due.id
RETURNING t.id, t.run_id::text AS run_id, t.attempt
