-- The fallback's result $3 (jsonb) stands in for its primary's, run $1's
-- (uuid) task $2, with resolution $4; returns the primary's id.
UPDATE task_runs SET result = $3::jsonb, resolution = $4
WHERE run_id = $1::uuid AND name = $2 RETURNING id
