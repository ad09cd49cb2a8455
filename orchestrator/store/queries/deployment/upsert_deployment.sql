-- Creates or replaces deployment $1 of flow $2 with spec $3 (jsonb), paused
-- $4; unpausing moves its cursor to now. Returns it as DeploymentFromRow
-- reads it, and whether it was created.
INSERT INTO deployments AS d (name, flow_name, spec, paused, cursor)
VALUES ($1, $2, $3::jsonb, $4, now())
ON CONFLICT (name) DO UPDATE SET flow_name = EXCLUDED.flow_name, spec = EXCLUDED.spec,
  paused = EXCLUDED.paused, updated_at = now(),
  cursor = CASE WHEN d.paused AND NOT EXCLUDED.paused THEN now() ELSE d.cursor END
RETURNING d.id::text AS id, d.spec::text AS spec, d.paused, baton_us(d.cursor) AS cursor_us,
  baton_us(d.created_at) AS created_at_us, baton_us(d.updated_at) AS updated_at_us,
  (xmax = 0) AS created
