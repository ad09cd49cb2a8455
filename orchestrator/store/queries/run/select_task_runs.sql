-- Run $1's (uuid) task runs in dependency order, as TaskFromRow reads them.
SELECT id, name, handler, queue, state, depends_on, result::text AS result,
  coalesce(error, '') AS error, attempt, baton_us(ready_at) AS ready_at_us,
  baton_us(started_at) AS started_at_us, baton_us(ended_at) AS ended_at_us,
  coalesce(resolution, '') AS resolution, coalesce(fallback_name, '') AS fallback_name,
  coalesce(fallback_for, '') AS fallback_for, coalesce(breaker_key, '') AS breaker_key,
  baton_us(not_before) AS not_before_us, cancel_requested
FROM task_runs WHERE run_id = $1::uuid ORDER BY position
