-- Routing (a condition on task_runs, for the picks): the tasks a worker may
-- take are those of its queues ($1) whose handler it registered
-- (workers.handlers, $3 the worker).
state = 'READY' AND queue = ANY ($1::text[])
  AND handler IN (SELECT unnest(w.handlers) FROM workers w WHERE w.id = $3::uuid)
