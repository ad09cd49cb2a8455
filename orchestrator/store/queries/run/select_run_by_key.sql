-- The run of flow $1 with idempotency key $2, as RunFromRow reads it.
SELECT r.id::text AS id, r.flow_name, r.flow_version, r.state,
  r.parameters::text AS parameters, r.result::text AS result, coalesce(r.error, '') AS error,
  coalesce(r.idempotency_key, '') AS idempotency_key, baton_us(r.created_at) AS created_at_us,
  baton_us(r.started_at) AS started_at_us, baton_us(r.ended_at) AS ended_at_us,
  coalesce(r.cancel_reason, '') AS cancel_reason, baton_us(r.deadline) AS deadline_us,
  coalesce(r.deployment_id::text, '') AS deployment_id,
  baton_us(r.scheduled_time) AS scheduled_time_us, r.late, r.tags,
  coalesce(r.env::text, '{}') AS env, r.correlation_id
FROM flow_runs r
WHERE r.flow_name = $1 AND r.idempotency_key = $2
