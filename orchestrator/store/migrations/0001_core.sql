-- Core schema: flows, runs, task runs, attempts, workers, and the history of
-- every state change. State names are those of orchestrator/model/states.cc.

CREATE TABLE flows (
  name        text        NOT NULL,
  version     integer     NOT NULL CHECK (version > 0),
  description text        NOT NULL DEFAULT '',
  spec        jsonb       NOT NULL,
  digest      text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE flow_runs (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  flow_name       text        NOT NULL,
  flow_version    integer     NOT NULL,
  state           text        NOT NULL,
  parameters      jsonb       NOT NULL,
  result_tasks    text[]      NOT NULL,
  open_tasks      integer     NOT NULL CHECK (open_tasks >= 0),  -- not yet terminal
  result          jsonb,
  error           text,
  idempotency_key text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  ended_at        timestamptz,
  FOREIGN KEY (flow_name, flow_version) REFERENCES flows (name, version)
);
CREATE UNIQUE INDEX flow_runs_idempotency_key ON flow_runs (flow_name, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX flow_runs_created_at ON flow_runs (created_at DESC);
CREATE INDEX flow_runs_flow ON flow_runs (flow_name, created_at DESC);

CREATE TABLE workers (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text        NOT NULL,
  queues        text[]      NOT NULL,
  labels        jsonb       NOT NULL DEFAULT '{}',
  handlers      text[]      NOT NULL DEFAULT '{}',
  slots         integer     NOT NULL CHECK (slots > 0),
  version       text        NOT NULL DEFAULT '',
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  stopped_at    timestamptz
);

CREATE TABLE task_runs (
  id               bigserial   PRIMARY KEY,
  run_id           uuid        NOT NULL REFERENCES flow_runs (id),
  name             text        NOT NULL,
  position         integer     NOT NULL,  -- in the flow's dependency order
  handler          text        NOT NULL,
  queue            text        NOT NULL,
  config           jsonb       NOT NULL,
  depends_on       text[]      NOT NULL,
  state            text        NOT NULL,
  pending_upstream integer     NOT NULL CHECK (pending_upstream >= 0),
  attempt          integer     NOT NULL DEFAULT 0,  -- current attempt number
  lease_token      uuid,
  lease_expires_at timestamptz,
  worker_id        uuid,
  result           jsonb,
  error            text,
  ready_at         timestamptz,
  started_at       timestamptz,
  ended_at         timestamptz,
  UNIQUE (run_id, name)
);
CREATE INDEX task_runs_ready ON task_runs (queue, ready_at, id) WHERE state = 'READY';
CREATE INDEX task_runs_leased ON task_runs (lease_expires_at) WHERE state = 'RUNNING';

CREATE TABLE task_edges (
  upstream_id   bigint NOT NULL REFERENCES task_runs (id),
  downstream_id bigint NOT NULL REFERENCES task_runs (id),
  PRIMARY KEY (upstream_id, downstream_id)
);
CREATE INDEX task_edges_downstream ON task_edges (downstream_id);

CREATE TABLE attempts (
  task_run_id       bigint      NOT NULL REFERENCES task_runs (id),
  number            integer     NOT NULL CHECK (number > 0),
  state             text        NOT NULL,
  worker_id         uuid,
  lease_token       uuid        NOT NULL,
  leased_at         timestamptz NOT NULL DEFAULT now(),
  last_heartbeat_at timestamptz,
  lease_expires_at  timestamptz NOT NULL,
  ended_at          timestamptz,
  error             text,
  PRIMARY KEY (task_run_id, number)
);

-- Every state change of a run, task run or attempt. The unique index makes a
-- second terminal transition of the same thing impossible, whatever the code.
CREATE TABLE state_transitions (
  id          bigserial   PRIMARY KEY,
  entity      text        NOT NULL CHECK (entity IN ('run', 'task', 'attempt')),
  run_id      uuid        NOT NULL,
  task_run_id bigint      NOT NULL DEFAULT 0,
  attempt     integer     NOT NULL DEFAULT 0,
  from_state  text,
  to_state    text        NOT NULL,
  terminal    boolean     NOT NULL,
  reason      text        NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX state_transitions_run ON state_transitions (run_id, id);
CREATE UNIQUE INDEX state_transitions_one_terminal
  ON state_transitions (entity, run_id, task_run_id, attempt) WHERE terminal;

-- Timestamps cross into C++ as microseconds since the epoch.
CREATE FUNCTION baton_us(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;
