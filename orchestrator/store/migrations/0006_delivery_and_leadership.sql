-- Lease delivery. A lease is granted unacknowledged, for the delivery timeout
-- only; the worker's first heartbeat acknowledges it (and starts its
-- heartbeat lease and execution deadline). A lease that is not acknowledged
-- in time, or whose poll was gone, ends its attempt UNDELIVERED: the task is
-- READY again at once and the attempt does not count against its retries.
ALTER TABLE task_runs
  ADD COLUMN lease_acknowledged boolean NOT NULL DEFAULT true,
  ADD COLUMN undelivered        integer NOT NULL DEFAULT 0 CHECK (undelivered >= 0);

ALTER TABLE attempts
  ADD COLUMN acknowledged_at timestamptz;

-- Leadership of a background loop ("timers", "scheduler"): a lease with a
-- term. The holder renews it at every step; a replica takes it over once it
-- ran out (database clock), with the next term. Every write of a leader
-- first checks, in its transaction, that it still holds its term (FOR
-- SHARE: a takeover waits for the leader's transaction in flight), so a
-- leader that froze, hung or was cut off cannot write once it lost the lead.
CREATE TABLE leader_leases (
  loop        text        PRIMARY KEY,
  holder      text        NOT NULL,
  term        bigint      NOT NULL CHECK (term > 0),
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);
