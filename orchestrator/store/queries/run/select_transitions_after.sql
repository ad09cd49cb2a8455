-- Run $1's (uuid) transitions with an id above $2, oldest first, at most
-- $3, as TransitionFromRow reads them.
SELECT s.entity, s.task_run_id, coalesce(t.name, '') AS task_name, s.attempt,
  coalesce(s.breaker_key, '') AS breaker_key, coalesce(s.from_state, '') AS from_state,
  s.to_state, s.reason, baton_us(s.at) AS at_us, s.id
FROM state_transitions s LEFT JOIN task_runs t ON t.id = s.task_run_id
WHERE s.run_id = $1::uuid AND s.id > $2 ORDER BY s.id LIMIT $3
