-- The latest version of flow $1, as FlowFromRow reads it.
SELECT name, version, description, spec::text AS spec, digest, baton_us(created_at) AS created_at_us
FROM flows WHERE name = $1 ORDER BY version DESC LIMIT 1
