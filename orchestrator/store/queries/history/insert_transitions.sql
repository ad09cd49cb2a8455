-- Records state transitions $1, a JSON array of objects with the columns
-- below ('' for a missing from_state or breaker_key).
INSERT INTO state_transitions
  (entity, run_id, task_run_id, attempt, from_state, to_state, terminal, reason,
   breaker_key)
SELECT entity, run_id, task_run_id, attempt, nullif(from_state, ''), to_state,
       terminal, reason, nullif(breaker_key, '')
FROM jsonb_to_recordset($1::jsonb) AS t(entity text, run_id uuid, task_run_id bigint,
     attempt integer, from_state text, to_state text, terminal boolean, reason text,
     breaker_key text)
