-- Resilience: retry policies and timers, timeouts of four kinds, circuit
-- breakers shared by every worker, fallbacks, cancellation.

ALTER TABLE state_transitions DROP CONSTRAINT state_transitions_entity_check;
ALTER TABLE state_transitions ADD CONSTRAINT state_transitions_entity_check
  CHECK (entity IN ('run', 'task', 'attempt', 'breaker'));
ALTER TABLE state_transitions ADD COLUMN breaker_key text;

ALTER TABLE flow_runs
  ADD COLUMN deadline       timestamptz,  -- flow timeout
  ADD COLUMN end_state      text,         -- while CANCELLING: CANCELLED or TIMED_OUT
  ADD COLUMN cancel_reason  text;
CREATE INDEX flow_runs_deadline ON flow_runs (deadline)
  WHERE deadline IS NOT NULL AND state IN ('PENDING', 'RUNNING');

ALTER TABLE task_runs
  ADD COLUMN retry_policy                 jsonb   NOT NULL DEFAULT '{"max_attempts": 1}',
  ADD COLUMN execution_timeout_ms         bigint  NOT NULL DEFAULT 0,
  ADD COLUMN heartbeat_timeout_ms         bigint  NOT NULL DEFAULT 0,
  ADD COLUMN schedule_to_start_timeout_ms bigint  NOT NULL DEFAULT 0,
  ADD COLUMN breaker                      jsonb,  -- the task's circuit breaker settings
  ADD COLUMN breaker_key                  text GENERATED ALWAYS AS (breaker ->> 'key') STORED,
  ADD COLUMN fallback_name                text,   -- a primary: the task standing in for it
  ADD COLUMN fallback_for                 text,   -- a fallback task: the task it stands in for
  ADD COLUMN not_before                   timestamptz,  -- AWAITING_RETRY: when READY again
  ADD COLUMN execution_deadline           timestamptz,  -- RUNNING: the attempt's deadline
  ADD COLUMN cancel_requested             boolean NOT NULL DEFAULT false,
  ADD COLUMN resolution                   text;   -- which path ran, and why
CREATE INDEX task_runs_awaiting_retry ON task_runs (not_before) WHERE state = 'AWAITING_RETRY';
CREATE INDEX task_runs_execution_deadline ON task_runs (execution_deadline)
  WHERE state = 'RUNNING' AND execution_deadline IS NOT NULL;
CREATE INDEX task_runs_schedule_to_start ON task_runs (ready_at)
  WHERE state = 'READY' AND schedule_to_start_timeout_ms > 0;
CREATE INDEX task_runs_ready_breaker ON task_runs (breaker_key)
  WHERE state = 'READY' AND breaker_key IS NOT NULL;

ALTER TABLE attempts
  ADD COLUMN error_type          text,
  ADD COLUMN execution_deadline  timestamptz,
  ADD COLUMN decision            text,    -- what the orchestrator decided, and why
  ADD COLUMN retry_delay_ms      bigint,  -- delay that scheduled the next attempt
  ADD COLUMN retry_base_delay_ms bigint,  -- the same before jitter
  ADD COLUMN jitter_sample       double precision;

-- One row per breaker key, shared by every flow, worker and replica.
CREATE TABLE circuit_breakers (
  key               text        PRIMARY KEY,
  state             text        NOT NULL DEFAULT 'CLOSED',
  failures          integer     NOT NULL DEFAULT 0,
  window_start      timestamptz,
  open_until        timestamptz,
  probe_task_run_id bigint,
  spec              jsonb       NOT NULL,  -- the settings most recently declared
  updated_at        timestamptz NOT NULL DEFAULT now()
);
