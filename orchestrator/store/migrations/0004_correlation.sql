-- A correlation id per run, given when it starts or generated, for tracing
-- the run through handlers, exec commands and downstream logs.
ALTER TABLE flow_runs ADD COLUMN correlation_id text NOT NULL DEFAULT gen_random_uuid()::text;
