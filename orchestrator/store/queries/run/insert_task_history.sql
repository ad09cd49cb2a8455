-- Records the first state of each of run $1's (uuid) task runs; one row per
-- task run, saying whether it is READY.
INSERT INTO state_transitions (entity, run_id, task_run_id, to_state, terminal)
SELECT 'task', run_id, id, state, false FROM task_runs WHERE run_id = $1::uuid
RETURNING (to_state = 'READY') AS ready
