-- Whether deployment $1 (uuid) has a scheduled run due before $2 (µs since
-- the epoch) still waiting.
SELECT EXISTS (SELECT 1 FROM flow_runs WHERE deployment_id = $1::uuid
  AND state = 'SCHEDULED' AND scheduled_time < to_timestamp($2::double precision / 1e6))
  AS earlier_waiting
