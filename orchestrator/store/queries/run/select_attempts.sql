-- The attempts of run $1's (uuid) task runs, by task run and number, as
-- AttemptFromRow reads them.
SELECT a.task_run_id, a.number, a.state, coalesce(a.worker_id::text, '') AS worker_id,
  coalesce(w.name, '') AS worker_name, baton_us(a.leased_at) AS leased_at_us,
  baton_us(a.last_heartbeat_at) AS last_heartbeat_at_us,
  baton_us(a.lease_expires_at) AS lease_expires_at_us, baton_us(a.ended_at) AS ended_at_us,
  coalesce(a.error, '') AS error, coalesce(a.error_type, '') AS error_type,
  coalesce(a.decision, '') AS decision, a.retry_delay_ms, a.retry_base_delay_ms,
  a.jitter_sample, baton_us(a.execution_deadline) AS execution_deadline_us,
  a.log_lines, a.log_dropped
FROM attempts a JOIN task_runs t ON t.id = a.task_run_id
LEFT JOIN workers w ON w.id = a.worker_id
WHERE t.run_id = $1::uuid ORDER BY a.task_run_id, a.number
