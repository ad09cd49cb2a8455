-- Locks (SKIP LOCKED) at most $1 READY task runs with a fallback whose
-- breaker is open (or half-open with its probe out) and says when_open:
-- fallback, the longest ready first, as TaskRow reads them (task_row.h), with
-- the breaker's state and the end of its cooldown (ISO 8601 UTC, '' if none).
SELECT t.id, t.run_id::text AS run_id, t.name, t.state, t.attempt,
  coalesce(t.lease_token::text, '') AS lease_token,
  baton_us(t.lease_expires_at) AS lease_expires_at_us,
  baton_us(t.execution_deadline) AS execution_deadline_us,
  t.retry_policy::text AS retry_policy, t.breaker::text AS breaker,
  coalesce(t.fallback_name, '') AS fallback_name, coalesce(t.fallback_for, '') AS fallback_for,
  t.cancel_requested, baton_us(now()) AS now_us, t.lease_acknowledged, t.undelivered,
  b.state AS breaker_state,
  coalesce(to_char(b.open_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
    AS breaker_open_until
FROM task_runs t JOIN circuit_breakers b ON b.key = t.breaker_key
WHERE t.state = 'READY' AND t.fallback_name IS NOT NULL
  AND t.breaker ->> 'when_open' = 'fallback'
  AND ((b.state = 'OPEN' AND b.open_until > now())
    OR (b.state = 'HALF_OPEN' AND b.probe_task_run_id IS NOT NULL))
ORDER BY t.ready_at LIMIT $1 FOR UPDATE OF t SKIP LOCKED
