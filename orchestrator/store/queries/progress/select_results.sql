-- The results of run $1's (uuid) result tasks that have one.
SELECT t.name, t.result::text AS result
FROM task_runs t JOIN flow_runs r ON r.id = t.run_id
WHERE t.run_id = $1::uuid AND t.name = ANY (r.result_tasks) AND t.result IS NOT NULL
