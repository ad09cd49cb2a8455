-- Marks worker $1 (uuid) seen now unless it stopped; returns it as
-- WorkerFromRow reads it.
UPDATE workers w SET last_seen_at = now() WHERE w.id = $1::uuid AND w.stopped_at IS NULL
RETURNING w.id::text AS id, w.name, w.queues, w.labels::text AS labels, w.handlers, w.slots,
  w.version, baton_us(w.registered_at) AS registered_at_us,
  baton_us(w.last_seen_at) AS last_seen_at_us, baton_us(w.stopped_at) AS stopped_at_us
