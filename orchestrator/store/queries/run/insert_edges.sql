-- Inserts the dependency edges between run $1's (uuid) task runs.
INSERT INTO task_edges (upstream_id, downstream_id)
SELECT u.id, d.id FROM task_runs d
CROSS JOIN LATERAL unnest(d.depends_on) AS dep(name)
JOIN task_runs u ON u.run_id = d.run_id AND u.name = dep.name
WHERE d.run_id = $1::uuid
