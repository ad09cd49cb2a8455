-- Ends READY task run $1 without an attempt: state $2 (terminal), error $3.
UPDATE task_runs SET state = $2, ended_at = now(), error = $3
WHERE id = $1 AND state = 'READY'
