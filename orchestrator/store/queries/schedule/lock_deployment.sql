-- Locks deployment $1 (uuid) unless it is paused or another transaction
-- holds it, as DeploymentFromRow reads it, with the database's clock.
SELECT d.id::text AS id, d.spec::text AS spec, d.paused, baton_us(d.cursor) AS cursor_us,
  baton_us(d.created_at) AS created_at_us, baton_us(d.updated_at) AS updated_at_us,
  baton_us(now()) AS now_us
FROM deployments d
WHERE d.id = $1::uuid AND NOT d.paused
FOR UPDATE SKIP LOCKED
