-- Moves deployment $1's (uuid) cursor forward to $2 (µs since the epoch),
-- never back.
UPDATE deployments SET cursor = greatest(cursor, to_timestamp($2::double precision / 1e6))
WHERE id = $1::uuid
