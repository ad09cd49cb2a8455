-- Ends task run $1's attempt $2, fenced by (task run, attempt, token $3,
-- RUNNING) as every attempt ending is: state $4, result $5 (jsonb), error $6
-- ('' for none), ended when $7 (terminal), not before now + $8 ms when
-- AWAITING_RETRY, and one more undelivered attempt when $9.
UPDATE task_runs SET state = $4, result = $5::jsonb, error = nullif($6, ''),
  lease_token = NULL, lease_expires_at = NULL, execution_deadline = NULL, worker_id = NULL,
  ended_at = CASE WHEN $7 THEN now() END,
  not_before = CASE WHEN $4 = 'AWAITING_RETRY' THEN now() + $8 * interval '1 millisecond' END,
  ready_at = CASE WHEN $4 = 'READY' THEN now() ELSE ready_at END,
  undelivered = undelivered + CASE WHEN $9 THEN 1 ELSE 0 END
WHERE id = $1 AND attempt = $2 AND lease_token = $3::uuid AND state = 'RUNNING'
