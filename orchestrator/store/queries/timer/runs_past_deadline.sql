-- At most $1 active runs whose flow timeout passed, the earliest deadline
-- first, with their timeout (µs).
SELECT id::text AS id, baton_us(deadline) - baton_us(created_at) AS timeout_us
FROM flow_runs
WHERE deadline <= now() AND state IN ('PENDING', 'RUNNING')
ORDER BY deadline LIMIT $1
