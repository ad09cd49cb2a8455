-- READY task runs per queue (the first 1000 queues by name).
SELECT queue, count(*) AS count FROM task_runs WHERE state = 'READY'
GROUP BY queue ORDER BY queue LIMIT 1000
