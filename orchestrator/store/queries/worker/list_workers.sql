-- The 1000 most recently registered workers (the stopped ones too when $2),
-- as WorkerFromRow reads them, with whether each is online (not stopped and
-- seen within $1 ms) and how many attempts it runs.
SELECT w.id::text AS id, w.name, w.queues, w.labels::text AS labels, w.handlers, w.slots,
  w.version, baton_us(w.registered_at) AS registered_at_us,
  baton_us(w.last_seen_at) AS last_seen_at_us, baton_us(w.stopped_at) AS stopped_at_us,
  w.stopped_at IS NULL AND w.last_seen_at > now() - $1 * interval '1 millisecond' AS online,
  (SELECT count(*) FROM task_runs t WHERE t.worker_id = w.id AND t.state = 'RUNNING')
    AS running_attempts
FROM workers w WHERE $2 OR w.stopped_at IS NULL
ORDER BY w.registered_at DESC LIMIT 1000
