-- Creates the breaker rows run $1's (uuid) tasks name, or refreshes their
-- settings.
INSERT INTO circuit_breakers (key, spec)
SELECT DISTINCT ON (breaker_key) breaker_key, breaker FROM task_runs
WHERE run_id = $1::uuid AND breaker IS NOT NULL
ON CONFLICT (key) DO UPDATE SET spec = EXCLUDED.spec
