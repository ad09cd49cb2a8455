-- Cancels run $1's (uuid) task runs that have not started or wait for a
-- retry, with error $2. Returns each one's id and the state it left.
WITH open AS (
  SELECT id, state FROM task_runs WHERE run_id = $1::uuid
    AND state IN ('PENDING', 'READY', 'AWAITING_RETRY') FOR UPDATE
)
UPDATE task_runs t SET state = 'CANCELLED', ended_at = now(), error = $2
FROM open WHERE t.id = open.id
RETURNING t.id, open.state AS from_state
