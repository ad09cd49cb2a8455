-- Every running, acknowledged attempt's lease lasts at least one more lease
-- from now: its task's heartbeat timeout, or $1 ms. An unacknowledged lease
-- is not granted anything: it never ran, and is delivered again.
-- Returns one row per attempt extended.
WITH granted AS (
  UPDATE task_runs t SET lease_expires_at = now() + CASE WHEN t.heartbeat_timeout_ms > 0
    THEN t.heartbeat_timeout_ms ELSE $1 END * interval '1 millisecond'
  WHERE t.state = 'RUNNING' AND t.lease_acknowledged
    AND t.lease_expires_at < now() + CASE WHEN t.heartbeat_timeout_ms > 0
      THEN t.heartbeat_timeout_ms ELSE $1 END * interval '1 millisecond'
  RETURNING t.id, t.attempt, t.lease_expires_at
)
UPDATE attempts a SET lease_expires_at = g.lease_expires_at
FROM granted g WHERE a.task_run_id = g.id AND a.number = g.attempt
RETURNING a.task_run_id
