-- Inserts run $1's (uuid) task runs from $2, a JSON array of planned tasks
-- (run_store.cc TasksAsJson). Roots are READY at once, except fallback
-- tasks, which wait for their primary.
INSERT INTO task_runs (run_id, name, position, handler, queue, config, depends_on, state,
  pending_upstream, ready_at, retry_policy, execution_timeout_ms, heartbeat_timeout_ms,
  schedule_to_start_timeout_ms, breaker, fallback_name, fallback_for)
SELECT $1::uuid, t.name, t.position, t.handler, t.queue, t.config,
       ARRAY(SELECT jsonb_array_elements_text(t.depends_on)),
       CASE WHEN jsonb_array_length(t.depends_on) = 0 AND t.fallback_for IS NULL
            THEN 'READY' ELSE 'PENDING' END,
       jsonb_array_length(t.depends_on),
       CASE WHEN jsonb_array_length(t.depends_on) = 0 AND t.fallback_for IS NULL
            THEN now() END,
       t.retry_policy, t.execution_timeout_ms, t.heartbeat_timeout_ms,
       t.schedule_to_start_timeout_ms, t.breaker, t.fallback_name, t.fallback_for
FROM jsonb_to_recordset($2::jsonb) AS t(name text, position integer, handler text,
     queue text, config jsonb, depends_on jsonb, retry_policy jsonb,
     execution_timeout_ms bigint, heartbeat_timeout_ms bigint,
     schedule_to_start_timeout_ms bigint, breaker jsonb, fallback_name text,
     fallback_for text)
