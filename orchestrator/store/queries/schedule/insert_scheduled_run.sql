-- Creates a SCHEDULED run unless its deployment has one at that time.
-- $1 flow name, $2 flow version, $3 parameters (jsonb), $4 deployment id,
-- $5 scheduled time (µs since the epoch), $6 env (jsonb), $7 tags (text[]),
-- $8 work queue ('' for none). Returns its id; no row when it existed.
INSERT INTO flow_runs (flow_name, flow_version, state, parameters, result_tasks, open_tasks,
  deployment_id, scheduled_time, env, tags, work_queue)
VALUES ($1, $2, 'SCHEDULED', $3::jsonb, '{}', 0, $4::uuid,
  to_timestamp($5::double precision / 1e6), $6::jsonb, $7::text[], nullif($8, ''))
ON CONFLICT (deployment_id, scheduled_time)
  WHERE deployment_id IS NOT NULL AND scheduled_time IS NOT NULL DO NOTHING
RETURNING id::text AS id
