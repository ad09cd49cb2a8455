-- Run $1's (uuid) log lines with an id above $2, of task $3 ('' for every
-- task), oldest first, at most $4, as LineFromRow reads them.
SELECT l.id, t.name AS task_name, l.task_run_id, l.attempt,
  coalesce(a.worker_id::text, '') AS worker_id, baton_us(l.logged_at) AS logged_at_us,
  l.stream, l.level, l.message
FROM attempt_logs l JOIN task_runs t ON t.id = l.task_run_id
JOIN attempts a ON a.task_run_id = l.task_run_id AND a.number = l.attempt
WHERE l.run_id = $1::uuid AND l.id > $2 AND ($3 = '' OR t.name = $3)
ORDER BY l.id LIMIT $4
