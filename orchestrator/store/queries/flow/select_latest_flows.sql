-- The latest version of each flow, by name, at most $1, as FlowFromRow
-- reads them.
SELECT DISTINCT ON (name) name, version, description, spec::text AS spec, digest, baton_us(created_at) AS created_at_us
FROM flows ORDER BY name, version DESC LIMIT $1
