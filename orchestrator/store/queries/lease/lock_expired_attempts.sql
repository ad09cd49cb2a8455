-- Locks (SKIP LOCKED) at most $1 running task runs whose lease ran out or
-- whose execution deadline passed more than $2 ms (the grace) ago, as
-- TaskRow reads them (task_row.h).
SELECT t.id, t.run_id::text AS run_id, t.name, t.state, t.attempt,
  coalesce(t.lease_token::text, '') AS lease_token,
  baton_us(t.lease_expires_at) AS lease_expires_at_us,
  baton_us(t.execution_deadline) AS execution_deadline_us,
  t.retry_policy::text AS retry_policy, t.breaker::text AS breaker,
  coalesce(t.fallback_name, '') AS fallback_name, coalesce(t.fallback_for, '') AS fallback_for,
  t.cancel_requested, baton_us(now()) AS now_us, t.lease_acknowledged, t.undelivered
FROM task_runs t
WHERE t.state = 'RUNNING' AND
  (t.lease_expires_at <= now() OR
   t.execution_deadline + $2 * interval '1 millisecond' <= now())
ORDER BY t.id LIMIT $1 FOR UPDATE SKIP LOCKED
