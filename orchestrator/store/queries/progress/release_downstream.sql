-- Counts down pending_upstream of the PENDING task runs below task run $1,
-- marking READY those at zero. Returns each one's id and whether it is READY.
UPDATE task_runs d SET pending_upstream = d.pending_upstream - 1,
  state = CASE WHEN d.pending_upstream = 1 THEN 'READY' ELSE d.state END,
  ready_at = CASE WHEN d.pending_upstream = 1 THEN now() ELSE d.ready_at END
FROM task_edges e
WHERE e.upstream_id = $1 AND d.id = e.downstream_id AND d.state = 'PENDING'
RETURNING d.id, d.state = 'READY' AS ready
