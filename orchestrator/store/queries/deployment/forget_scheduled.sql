-- Scheduled runs of deployment $1 (uuid) that have not started go when it
-- changes; the scheduler plans them again (the cursor moves back to the
-- first of them).
WITH gone AS (
  DELETE FROM flow_runs WHERE deployment_id = $1::uuid AND state = 'SCHEDULED'
  RETURNING id, scheduled_time
), history AS (
  DELETE FROM state_transitions WHERE run_id IN (SELECT id FROM gone)
)
UPDATE deployments SET cursor = least(cursor,
    coalesce((SELECT min(scheduled_time) FROM gone) - interval '1 microsecond', cursor))
WHERE id = $1::uuid
