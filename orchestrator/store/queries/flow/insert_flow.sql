-- Stores version $2 of flow $1: description $3, spec $4 (jsonb), and the
-- spec's digest. Returns it as FlowFromRow reads it.
INSERT INTO flows (name, version, description, spec, digest)
VALUES ($1, $2, $3, $4::jsonb, encode(sha256(convert_to($4::jsonb::text, 'UTF8')), 'hex'))
RETURNING name, version, description, spec::text AS spec, digest, baton_us(created_at) AS created_at_us
