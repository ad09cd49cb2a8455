-- Skips (error $2) everything PENDING below task run $1, and the unused
-- fallbacks of what it skips. Returns the ids of the task runs skipped.
WITH RECURSIVE below (id) AS (
  SELECT downstream_id FROM task_edges WHERE upstream_id = $1
  UNION SELECT e.downstream_id FROM task_edges e JOIN below b ON e.upstream_id = b.id
), skipped AS (
  UPDATE task_runs t SET state = 'SKIPPED', ended_at = now(), error = $2
  FROM below WHERE t.id = below.id AND t.state = 'PENDING'
  RETURNING t.id, t.run_id, t.fallback_name
), unused AS (
  UPDATE task_runs f SET state = 'SKIPPED', ended_at = now(),
    error = 'not needed: the task it stands in for was skipped'
  FROM skipped s WHERE f.run_id = s.run_id AND f.name = s.fallback_name
    AND f.state = 'PENDING'
  RETURNING f.id
)
SELECT id FROM skipped UNION ALL SELECT id FROM unused
