-- The first 1000 deployments by name, as DeploymentFromRow reads them.
SELECT d.id::text AS id, d.spec::text AS spec, d.paused, baton_us(d.cursor) AS cursor_us,
  baton_us(d.created_at) AS created_at_us, baton_us(d.updated_at) AS updated_at_us
FROM deployments d ORDER BY d.name LIMIT 1000
