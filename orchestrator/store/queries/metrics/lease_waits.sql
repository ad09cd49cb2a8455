-- How long (s) the latest attempts leased within the last $1 ms waited
-- READY, newest first, at most $2. task_runs.ready_at is when the task's
-- latest attempt became READY, so only that attempt's wait can be measured.
SELECT extract(epoch FROM a.leased_at - t.ready_at)::float8 AS wait_s
FROM attempts a JOIN task_runs t ON t.id = a.task_run_id AND t.attempt = a.number
WHERE a.leased_at > now() - $1 * interval '1 millisecond' AND t.ready_at IS NOT NULL
ORDER BY a.leased_at DESC LIMIT $2
