-- Starts scheduled run $1 (uuid): PENDING with result tasks $2 (text[]),
-- $3 open tasks, late $4, and a deadline $5 ms from now (0 for none).
UPDATE flow_runs SET state = 'PENDING', result_tasks = $2::text[], open_tasks = $3,
  late = $4, deadline = CASE WHEN $5 > 0 THEN now() + $5 * interval '1 millisecond' END
WHERE id = $1::uuid AND state = 'SCHEDULED'
