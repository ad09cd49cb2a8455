-- The active (started, not ended) runs of deployment $1 (uuid).
SELECT id::text AS id FROM flow_runs WHERE deployment_id = $1::uuid
  AND state IN ('PENDING', 'RUNNING', 'CANCELLING')
