-- Locks (SKIP LOCKED) at most $1 READY task runs whose schedule-to-start
-- timeout passed, the longest ready first, as TaskRow reads them (task_row.h),
-- with their schedule_to_start_timeout_ms.
SELECT t.id, t.run_id::text AS run_id, t.name, t.state, t.attempt,
  coalesce(t.lease_token::text, '') AS lease_token,
  baton_us(t.lease_expires_at) AS lease_expires_at_us,
  baton_us(t.execution_deadline) AS execution_deadline_us,
  t.retry_policy::text AS retry_policy, t.breaker::text AS breaker,
  coalesce(t.fallback_name, '') AS fallback_name, coalesce(t.fallback_for, '') AS fallback_for,
  t.cancel_requested, baton_us(now()) AS now_us, t.lease_acknowledged, t.undelivered,
  t.schedule_to_start_timeout_ms
FROM task_runs t
WHERE t.state = 'READY' AND t.schedule_to_start_timeout_ms > 0
  AND t.ready_at + t.schedule_to_start_timeout_ms * interval '1 millisecond' <= now()
ORDER BY t.ready_at LIMIT $1 FOR UPDATE OF t SKIP LOCKED
