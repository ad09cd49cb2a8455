-- Registers a worker: name $1, queues $2 (text[]), labels $3 (jsonb),
-- handlers $4 (text[]), slots $5, version $6. Returns it as WorkerFromRow
-- reads it.
INSERT INTO workers AS w (name, queues, labels, handlers, slots, version)
VALUES ($1, $2::text[], $3::jsonb, $4::text[], $5, $6)
RETURNING w.id::text AS id, w.name, w.queues, w.labels::text AS labels, w.handlers, w.slots,
  w.version, baton_us(w.registered_at) AS registered_at_us,
  baton_us(w.last_seen_at) AS last_seen_at_us, baton_us(w.stopped_at) AS stopped_at_us
