-- Counts $2 more of run $1's (uuid) tasks closed. Also takes the run's row
-- lock, which serializes the end-of-run decision. Returns what the decision
-- needs.
UPDATE flow_runs SET open_tasks = open_tasks - $2 WHERE id = $1::uuid
RETURNING open_tasks, state, coalesce(end_state, '') AS end_state,
  coalesce(cancel_reason, '') AS cancel_reason, result_tasks
