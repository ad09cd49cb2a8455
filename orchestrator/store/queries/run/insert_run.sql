-- Creates a PENDING run and returns it as RunFromRow reads it; no row when
-- the flow's idempotency key is taken.
-- $1 flow name, $2 flow version, $3 parameters (jsonb), $4 result tasks
-- (text[]), $5 idempotency key ('' for none), $6 open tasks, $7 timeout
-- (ms, 0 for none), $8 deployment id ('' for none), $9 env (jsonb), $10 tags
-- (text[]), $11 work queue ('' for none), $12 correlation id ('' for
-- a new one).
INSERT INTO flow_runs AS r (flow_name, flow_version, state, parameters, result_tasks,
  idempotency_key, open_tasks, deadline, deployment_id, env, tags, work_queue,
  correlation_id)
VALUES ($1, $2, 'PENDING', $3::jsonb, $4::text[], nullif($5, ''), $6,
  CASE WHEN $7 > 0 THEN now() + $7 * interval '1 millisecond' END,
  nullif($8, '')::uuid, $9::jsonb, $10::text[], nullif($11, ''),
  coalesce(nullif($12, ''), gen_random_uuid()::text))
ON CONFLICT (flow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING r.id::text AS id, r.flow_name, r.flow_version, r.state,
  r.parameters::text AS parameters, r.result::text AS result, coalesce(r.error, '') AS error,
  coalesce(r.idempotency_key, '') AS idempotency_key, baton_us(r.created_at) AS created_at_us,
  baton_us(r.started_at) AS started_at_us, baton_us(r.ended_at) AS ended_at_us,
  coalesce(r.cancel_reason, '') AS cancel_reason, baton_us(r.deadline) AS deadline_us,
  coalesce(r.deployment_id::text, '') AS deployment_id,
  baton_us(r.scheduled_time) AS scheduled_time_us, r.late, r.tags,
  coalesce(r.env::text, '{}') AS env, r.correlation_id
