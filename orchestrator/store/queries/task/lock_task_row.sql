-- Locks and reads one task run as TaskRow reads it (task_row.h).
-- $1 the task run id.
SELECT t.id, t.run_id::text AS run_id, t.name, t.state, t.attempt,
  coalesce(t.lease_token::text, '') AS lease_token,
  baton_us(t.lease_expires_at) AS lease_expires_at_us,
  baton_us(t.execution_deadline) AS execution_deadline_us,
  t.retry_policy::text AS retry_policy, t.breaker::text AS breaker,
  coalesce(t.fallback_name, '') AS fallback_name, coalesce(t.fallback_for, '') AS fallback_for,
  t.cancel_requested, baton_us(now()) AS now_us, t.lease_acknowledged, t.undelivered
FROM task_runs t
WHERE t.id = $1
FOR UPDATE
