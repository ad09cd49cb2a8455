-- The lease fence's view of task runs $1 (bigint[]), to explain refusals.
SELECT id, state, attempt, coalesce(lease_token::text, '') AS lease_token,
  baton_us(lease_expires_at) AS lease_expires_at_us
FROM task_runs WHERE id = ANY ($1::bigint[])
