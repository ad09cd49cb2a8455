-- Marks run $1 (uuid) CANCELLING, to end $2, for reason $3.
UPDATE flow_runs SET state = 'CANCELLING', end_state = $2, cancel_reason = $3
WHERE id = $1::uuid
