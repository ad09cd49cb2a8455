-- One statement: pick, lease, open attempts, record history, start runs.
-- %PICK% selects the rows to lease, locked (SKIP LOCKED): pick_ready.sql or
-- pick_probe.sql. A lease is granted unacknowledged and lasts the delivery
-- timeout; the acknowledging heartbeat starts its heartbeat lease and
-- execution deadline. A fallback task's input is its primary's.
-- $1 the worker's queues (text[]), $2 how many at most, $3 the worker (uuid),
-- $4 the delivery timeout (ms), $5 the breaker to probe (pick_probe.sql only).
WITH picked AS (
%PICK%
), leased AS (
  UPDATE task_runs t SET state = 'RUNNING', attempt = t.attempt + 1,
    lease_token = gen_random_uuid(), worker_id = $3::uuid, lease_acknowledged = false,
    lease_expires_at = now() + $4 * interval '1 millisecond', execution_deadline = NULL,
    started_at = coalesce(t.started_at, now())
  FROM picked WHERE t.id = picked.id
  RETURNING t.id, t.run_id, t.name, t.handler, t.config, t.attempt, t.lease_token,
    t.lease_expires_at, t.execution_deadline, t.execution_timeout_ms,
    t.heartbeat_timeout_ms, t.fallback_for
), opened AS (
  INSERT INTO attempts (task_run_id, number, state, worker_id, lease_token, lease_expires_at,
    execution_deadline)
  SELECT id, attempt, 'RUNNING', $3::uuid, lease_token, lease_expires_at, execution_deadline
  FROM leased
), started AS (
  UPDATE flow_runs r SET state = 'RUNNING', started_at = now()
  WHERE r.id IN (SELECT run_id FROM leased) AND r.state = 'PENDING' RETURNING r.id
), history AS (
  INSERT INTO state_transitions (entity, run_id, task_run_id, attempt, from_state,
    to_state, terminal)
  SELECT 'task', run_id, id, 0, 'READY', 'RUNNING', false FROM leased
  UNION ALL SELECT 'attempt', run_id, id, attempt, NULL, 'RUNNING', false FROM leased
  UNION ALL SELECT 'run', id, 0, 0, 'PENDING', 'RUNNING', false FROM started
)
SELECT l.id, l.attempt, l.lease_token::text AS lease_token, l.run_id::text AS run_id,
  r.flow_name, r.flow_version, l.name, l.handler, r.parameters::text AS parameters,
  l.config::text AS config, baton_us(l.lease_expires_at) AS lease_expires_at_us,
  (SELECT coalesce(jsonb_object_agg(u.name, u.result), '{}'::jsonb)::text
     FROM task_edges e JOIN task_runs u ON u.id = e.upstream_id
     WHERE e.downstream_id = coalesce((SELECT p.id FROM task_runs p
       WHERE p.run_id = l.run_id AND p.name = l.fallback_for), l.id)) AS upstream_results,
  l.execution_timeout_ms, l.heartbeat_timeout_ms, coalesce(r.env::text, '{}') AS env,
  r.correlation_id, baton_us(coalesce(r.scheduled_time, r.created_at)) AS scheduled_time_us
FROM leased l JOIN flow_runs r ON r.id = l.run_id
ORDER BY l.id
