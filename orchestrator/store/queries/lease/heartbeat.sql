-- Extends the current attempts' leases; a lease whose time passed is held
-- until the timers end it (the outage rule, engine/lease_rules.h). The first
-- heartbeat of an attempt acknowledges its delivery: from then on its lease
-- is the heartbeat timeout, and its execution deadline starts.
-- $1 task run ids (bigint[]), $2 attempts (integer[]), $3 lease tokens
-- (uuid[]), one claim per index; $4 the lease (ms) of a task without a
-- heartbeat timeout. Returns the claims extended.
WITH claims AS (
  SELECT * FROM unnest($1::bigint[], $2::integer[], $3::uuid[]) AS c (id, attempt, token)
), extended AS (
  UPDATE task_runs t
  SET lease_expires_at = greatest(CASE WHEN t.lease_acknowledged THEN t.lease_expires_at END,
    now() + CASE WHEN t.heartbeat_timeout_ms > 0 THEN t.heartbeat_timeout_ms ELSE $4 END
    * interval '1 millisecond'),
    execution_deadline = CASE WHEN t.lease_acknowledged THEN t.execution_deadline
      WHEN t.execution_timeout_ms > 0
      THEN now() + t.execution_timeout_ms * interval '1 millisecond' END,
    lease_acknowledged = true
  FROM claims c WHERE t.id = c.id AND t.attempt = c.attempt AND t.lease_token = c.token
    AND t.state = 'RUNNING'
  RETURNING t.id, t.attempt, t.lease_token, t.lease_expires_at, t.cancel_requested,
    t.execution_deadline
), touched AS (
  UPDATE attempts a SET last_heartbeat_at = now(), lease_expires_at = e.lease_expires_at,
    acknowledged_at = coalesce(a.acknowledged_at, now()),
    execution_deadline = e.execution_deadline
  FROM extended e WHERE a.task_run_id = e.id AND a.number = e.attempt
)
SELECT id, attempt, lease_token::text AS lease_token,
  baton_us(lease_expires_at) AS lease_expires_at_us, cancel_requested
FROM extended
