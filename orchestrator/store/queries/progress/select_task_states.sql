-- Run $1's (uuid) task runs in dependency order: what DecideRunEnd reads.
SELECT name, state, coalesce(error, '') AS error, coalesce(fallback_name, '') AS fallback_name,
  coalesce(fallback_for, '') AS fallback_for
FROM task_runs WHERE run_id = $1::uuid ORDER BY position
