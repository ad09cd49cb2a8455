-- Deletes the scheduled (not started) runs of deployment $1 (by name) and
-- their history.
WITH gone AS (
  DELETE FROM flow_runs WHERE state = 'SCHEDULED'
    AND deployment_id = (SELECT id FROM deployments WHERE name = $1) RETURNING id
)
DELETE FROM state_transitions WHERE run_id IN (SELECT id FROM gone)
