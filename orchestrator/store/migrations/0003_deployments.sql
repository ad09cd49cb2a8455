-- Deployments and their schedules: runs created ahead of time, one per
-- (deployment, scheduled time) by a unique constraint, and the record of
-- every fire that did not run.

CREATE TABLE deployments (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text        NOT NULL UNIQUE,
  flow_name   text        NOT NULL,
  spec        jsonb       NOT NULL,  -- canonical deployment JSON (secrets included)
  paused      boolean     NOT NULL,
  cursor      timestamptz NOT NULL,  -- every fire up to here has been handled
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE flow_runs
  ADD COLUMN deployment_id  uuid REFERENCES deployments (id) ON DELETE SET NULL,
  ADD COLUMN scheduled_time timestamptz,
  ADD COLUMN late           boolean NOT NULL DEFAULT false,
  ADD COLUMN env            jsonb,   -- {"NAME": {"value": ..., "secret": bool}}
  ADD COLUMN tags           text[] NOT NULL DEFAULT '{}',
  ADD COLUMN work_queue     text;
CREATE UNIQUE INDEX flow_runs_one_per_fire ON flow_runs (deployment_id, scheduled_time)
  WHERE deployment_id IS NOT NULL AND scheduled_time IS NOT NULL;
CREATE INDEX flow_runs_scheduled ON flow_runs (scheduled_time) WHERE state = 'SCHEDULED';
CREATE INDEX flow_runs_deployment_active ON flow_runs (deployment_id)
  WHERE state IN ('PENDING', 'RUNNING', 'CANCELLING');

CREATE TABLE skipped_fires (
  deployment_id  uuid        NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  scheduled_time timestamptz NOT NULL,
  reason         text        NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (deployment_id, scheduled_time)
);
