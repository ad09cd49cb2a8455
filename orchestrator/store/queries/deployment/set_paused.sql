-- Pauses ($2 true) or unpauses deployment $1 (by name); unpausing moves its
-- cursor to now. Returns it as DeploymentFromRow reads it.
UPDATE deployments d SET paused = $2::boolean, updated_at = now(),
  spec = jsonb_set(spec, '{paused}', to_jsonb($2::boolean)),
  cursor = CASE WHEN paused AND NOT $2 THEN now() ELSE cursor END
WHERE d.name = $1
RETURNING d.id::text AS id, d.spec::text AS spec, d.paused, baton_us(d.cursor) AS cursor_us,
  baton_us(d.created_at) AS created_at_us, baton_us(d.updated_at) AS updated_at_us
