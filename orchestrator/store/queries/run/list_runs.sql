-- Runs, newest first, as RunFromRow reads them. $1 flow name ('' for any),
-- $2 state ('' for any), $3 at most how many, $4 and $5 the window
-- created_at >= $4 and < $5: timestamptz text ('-infinity' and 'infinity'
-- when open, so the created_at indexes bound the scan on both sides),
-- $6 deployment id ('' for any).
SELECT r.id::text AS id, r.flow_name, r.flow_version, r.state,
  r.parameters::text AS parameters, r.result::text AS result, coalesce(r.error, '') AS error,
  coalesce(r.idempotency_key, '') AS idempotency_key, baton_us(r.created_at) AS created_at_us,
  baton_us(r.started_at) AS started_at_us, baton_us(r.ended_at) AS ended_at_us,
  coalesce(r.cancel_reason, '') AS cancel_reason, baton_us(r.deadline) AS deadline_us,
  coalesce(r.deployment_id::text, '') AS deployment_id,
  baton_us(r.scheduled_time) AS scheduled_time_us, r.late, r.tags,
  coalesce(r.env::text, '{}') AS env, r.correlation_id
FROM flow_runs r
WHERE ($1 = '' OR r.flow_name = $1) AND ($2 = '' OR r.state = $2)
  AND r.created_at >= $4::timestamptz AND r.created_at < $5::timestamptz
  AND ($6 = '' OR r.deployment_id = nullif($6, '')::uuid)
ORDER BY r.created_at DESC, r.id LIMIT $3
