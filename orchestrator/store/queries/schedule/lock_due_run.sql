-- Locks scheduled run $1 (uuid) unless another transaction holds it: its
-- deployment, flow version and spec, parameters, scheduled time, and the
-- database's clock.
SELECT r.id::text AS id, r.deployment_id::text AS deployment_id, r.flow_version,
  f.spec::text AS spec, r.parameters::text AS parameters,
  baton_us(r.scheduled_time) AS scheduled_time_us, baton_us(now()) AS now_us
FROM flow_runs r JOIN deployments d ON d.id = r.deployment_id
JOIN flows f ON f.name = r.flow_name AND f.version = r.flow_version
WHERE r.id = $1::uuid AND r.state = 'SCHEDULED'
FOR UPDATE OF r SKIP LOCKED
