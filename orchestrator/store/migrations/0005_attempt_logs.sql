-- The log lines workers ship for each attempt (handler log calls, exec
-- stdout/stderr), bounded per attempt: the counters on attempts say how much
-- was kept and how much was dropped over the bound.
CREATE TABLE attempt_logs (
  id          bigserial   PRIMARY KEY,
  run_id      uuid        NOT NULL REFERENCES flow_runs (id),
  task_run_id bigint      NOT NULL,
  attempt     integer     NOT NULL,
  logged_at   timestamptz NOT NULL,
  stream      text        NOT NULL CHECK (stream IN ('log', 'stdout', 'stderr')),
  level       text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message     text        NOT NULL,
  FOREIGN KEY (task_run_id, attempt) REFERENCES attempts (task_run_id, number)
);
CREATE INDEX attempt_logs_run ON attempt_logs (run_id, id);

ALTER TABLE attempts
  ADD COLUMN log_lines   integer NOT NULL DEFAULT 0,
  ADD COLUMN log_bytes   bigint  NOT NULL DEFAULT 0,
  ADD COLUMN log_dropped integer NOT NULL DEFAULT 0;
